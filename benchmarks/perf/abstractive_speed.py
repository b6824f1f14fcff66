"""Abstractive inference speed per backend, on a random-weight model of a real checkpoint's shape.

    python -m newsum.benchmarks.perf.abstractive_speed
        [--backends torch/float32,ctranslate2/int8,...]
        [--shape PATH.json] [--input-tokens 800] [--new-tokens 60] [--repeats 3]
        [--batches 1,4,8] [--worst-case] [--out DIR]

Latency depends on the architecture, not on the weight values, so a randomly
initialised model built from `../shared/model-shapes/` (BART or PEGASUS;
parameter count checked to 1 %) times like the real checkpoint. It is saved
once under --out, laid out as the hub lays it out, with the real tokenizer
files of its family (`../shared/model-shapes/tokenizers/`), and every backend
loads it through the production code (models.abstractive.backends),
CTranslate2 converting it on first use. The inputs are real dev articles
(`../shared/data/dev_newsroom.jsonl`) cut to --input-tokens real tokens. Each
backend runs in a process of its own, one after another in this one run, so
peak RSS is its own. Every generation is forced to exactly --new-tokens tokens.
Figures are medians of --repeats runs after a warm-up; "encoder" is the time to
the first decoded token, and decoding per token is (T(n) - T(1)) / (n - 1).
Also measured: this machine's memory bandwidth (a large array copy), and the
decode time per token that reading the decoder's weights once per step at that
bandwidth would take. Writes abstractive_speed.{json,md} to --out.

--worst-case adds what a deadline cannot cut short where a beam search runs to
its end once started (CTranslate2; torch stops at the next step): one article
of the model's whole input limit (1,024 tokens for BART), beam search forced to
run to max_length — the checkpoint's defaults (distilbart: 4 beams, 142 tokens;
median of --repeats) and, on backends whose beam search cannot stop, the most a
request may ask (MAX_BEAMS beams, MAX_OUTPUT_TOKENS tokens; one run: minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from newsum.benchmarks.output import RESULTS, SHARED, publish

SHAPES = SHARED / "model-shapes"
ARTICLES = SHARED / "data" / "dev_newsroom.jsonl"
# Parameter counts of the public checkpoints (../shared/model-shapes/README.md).
EXPECTED_PARAMETERS = {
    "distilbart-cnn-12-6": 306e6,
    "distilbart-cnn-6-6": 230e6,
    "bart-large-cnn": 406e6,
    "pegasus-cnn_dailymail": 570.8e6,
}
# The hub's tokenizer files of each family (no tokenizer.json): what a real checkpoint holds.
TOKENIZER_FILES = {
    "bart": ("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"),
    "pegasus": ("spiece.model", "tokenizer_config.json", "special_tokens_map.json"),
}
DEFAULT_BACKENDS = "torch/float32,torch/int8,ctranslate2/float32,ctranslate2/int8"
PARITY_INPUTS = 4


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default=DEFAULT_BACKENDS)
    parser.add_argument("--shape", type=Path, default=SHAPES / "distilbart-cnn-12-6.json")
    parser.add_argument("--input-tokens", type=int, default=800)
    parser.add_argument("--new-tokens", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batches", default="1,4,8")
    parser.add_argument("--threads", type=int, default=None, help="default: every core")
    parser.add_argument(
        "--worst-case",
        action="store_true",
        help="also time beam search forced to max_length on a whole-limit input",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # one backend, in a child process
    args = parser.parse_args()

    folder = args.out / f"random-{args.shape.stem}"
    if args.worker:
        print(json.dumps(measure(args, folder, args.worker)))
        return 0

    args.out.mkdir(parents=True, exist_ok=True)
    parameters = save_random_checkpoint(args.shape, folder)
    results = {}
    for backend in args.backends.split(","):
        print(f"measuring {backend} ...", file=sys.stderr)
        child = subprocess.run(
            [sys.executable, "-m", __spec__.name, *sys.argv[1:], "--worker", backend],
            capture_output=True,
            text=True,
            check=True,
        )
        results[backend] = json.loads(child.stdout.strip().splitlines()[-1])
    bandwidth = memory_bandwidth_gb_s()  # after the children: its 2 GiB is not in their peaks
    report = {
        "shape": args.shape.name,
        "parameters": parameters,
        "input_tokens": args.input_tokens,
        "new_tokens": args.new_tokens,
        "repeats": args.repeats,
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "memory_bandwidth_gb_s": bandwidth,
        "decoder_bytes": decoder_bytes(folder),
        "backends": results,
    }
    parity(report)
    publish(args.out, "abstractive_speed", report, _markdown(report))
    return 0


def save_random_checkpoint(shape: Path, folder: Path) -> int:
    """A random-weight model of `shape` with its family's real tokenizer files, saved once."""
    import shutil

    import torch
    from transformers import AutoConfig, AutoModelForSeq2SeqLM

    fields = json.loads(shape.read_text())
    family = fields["model_type"]
    if not (folder / "model.safetensors").exists():
        settings = {k: v for k, v in fields.items() if k not in ("architectures", "model_type")}
        torch.manual_seed(0)
        model = AutoModelForSeq2SeqLM.from_config(  # type: ignore[no-untyped-call]
            AutoConfig.for_model(family, **settings)
        )
        folder.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(folder)
        # As on the hub: config.json keeps what v5 no longer writes (BART-CNN's forced <s>).
        saved = json.loads((folder / "config.json").read_text())
        saved.update({k: v for k, v in fields.items() if k not in saved})
        (folder / "config.json").write_text(json.dumps(saved, indent=2))
        (folder / "generation_config.json").unlink(missing_ok=True)
        for name in TOKENIZER_FILES[family]:
            shutil.copyfile(SHAPES / "tokenizers" / family / name, folder / name)
    parameters = sum(
        int(torch.tensor(shape_).prod()) for shape_ in _tensor_shapes(folder / "model.safetensors")
    )
    expected = EXPECTED_PARAMETERS.get(shape.stem)
    if expected and abs(parameters - expected) / expected > 0.01:
        raise SystemExit(
            f"{shape.name}: {parameters / 1e6:.1f} M parameters, expected ~{expected / 1e6:.0f} M"
        )
    return parameters


def measure(args: argparse.Namespace, folder: Path, backend: str) -> dict[str, Any]:
    """One backend's figures, in this (child) process."""
    from newsum.models.abstractive.backends import open_generator
    from newsum.models.abstractive.cancel import Cancellation
    from newsum.models.abstractive.checkpoint import GenerationSettings, load_checkpoint

    name, compute_type = backend.split("/")
    checkpoint = load_checkpoint(str(folder))
    started = time.perf_counter()
    generator = open_generator(checkpoint, name, compute_type, args.threads)
    load_s = time.perf_counter() - started
    rss_loaded = _rss_mb()
    with ARTICLES.open(encoding="utf-8") as handle:
        words = " ".join(json.loads(line)["article"] for line in handle).split()

    def inputs(
        batch: int, seed_offset: int = 0, length: int = args.input_tokens
    ) -> list[list[int]]:
        # Real dev text from a different place per row, cut to exactly `length`
        # real tokens (specials included); more words than tokens are always enough.
        starts = [(997 * (seed_offset + row)) % (len(words) - length)
                  for row in range(batch)]  # fmt: skip
        texts = [" ".join(words[start : start + length]) for start in starts]
        encoded = checkpoint.tokenizer(texts, truncation=True, max_length=length)
        rows = [list(ids) for ids in encoded["input_ids"]]
        assert all(len(ids) == length for ids in rows)
        return rows

    def settings(beams: int, tokens: int) -> GenerationSettings:
        # transformers counts the decoder start token in its lengths.
        return GenerationSettings(
            num_beams=beams,
            min_length=tokens + 1,
            max_length=tokens + 1,
            length_penalty=1.0,
            no_repeat_ngram_size=0,
            early_stopping=False,
        )

    def run(batch: list[list[int]], beams: int, tokens: int) -> list[list[int] | None]:
        return generator.generate(batch, settings(beams, tokens), [Cancellation() for _ in batch])

    def timed(work: Callable[[], Any]) -> float:
        work()  # warm-up: allocator, thread pool, caches
        samples = []
        for _ in range(args.repeats):
            began = time.perf_counter()
            work()
            samples.append(time.perf_counter() - began)
        return statistics.median(samples)

    single = inputs(1)
    first_token = timed(lambda: run(single, 1, 1))
    greedy = timed(lambda: run(single, 1, args.new_tokens))
    beam4 = timed(lambda: run(single, 4, args.new_tokens))
    throughput = {}
    for batch in (int(b) for b in args.batches.split(",")):
        batch_inputs = inputs(batch, seed_offset=batch)
        throughput[str(batch)] = batch / timed(partial(run, batch_inputs, 1, args.new_tokens))
    parity_tokens = [run(inputs(1, seed_offset=100 + k), 1, args.new_tokens)[0]
                     for k in range(PARITY_INPUTS)]  # fmt: skip
    worst = worst_case(checkpoint, generator, inputs, timed, name) if args.worst_case else {}
    return {
        "generator": generator.name,
        "load_s": load_s,
        "encoder_ms": 1000 * first_token,
        "decode_ms_per_token": 1000 * (greedy - first_token) / (args.new_tokens - 1),
        "greedy_latency_ms": 1000 * greedy,
        "beam4_latency_ms": 1000 * beam4,
        "greedy_articles_per_s_by_batch": throughput,
        "rss_after_load_mb": rss_loaded,
        "peak_rss_mb": _rss_mb(),
        "greedy_tokens": parity_tokens,
        "threads": args.threads or len(os.sched_getaffinity(0)),
        **worst,
    }


def worst_case(
    checkpoint: Any,
    generator: Any,
    inputs: Callable[..., list[list[int]]],
    timed: Callable[[Callable[[], Any]], float],
    backend: str,
) -> dict[str, Any]:
    """Beam search forced to max_length on an input of the model's whole limit, timed.

    What a deadline cannot cut short on a backend whose beam search, once started,
    runs to its end: the checkpoint's defaults, and where beam search cannot stop,
    the most a request may ask for.
    """
    from dataclasses import replace

    from newsum.models.abstractive.backends import STOPPABLE_DECODING
    from newsum.models.abstractive.cancel import Cancellation
    from newsum.models.abstractive.checkpoint import MAX_BEAMS, MAX_OUTPUT_TOKENS

    article = inputs(1, seed_offset=7, length=checkpoint.max_input_tokens)
    defaults = checkpoint.defaults

    def forced(beams: int, tokens: int) -> tuple[Callable[[], Any], dict[str, Any]]:
        # min_length == max_length: the search cannot end early on an end token.
        settings = replace(defaults, num_beams=beams, min_length=tokens, max_length=tokens)
        lengths: dict[str, Any] = {"num_beams": beams, "max_length": tokens}

        def work() -> None:
            (ids,) = generator.generate(article, settings, [Cancellation()])
            lengths["output_tokens"] = len(ids or [])

        return work, lengths

    work, figures = forced(defaults.num_beams, defaults.max_length)
    milliseconds = 1000 * timed(work)  # fills in figures' output_tokens
    result: dict[str, Any] = {
        "worst_case_input_tokens": len(article[0]),
        "worst_case_defaults": {**figures, "ms": milliseconds},
    }
    if "beam_search" not in STOPPABLE_DECODING[backend]:
        work, figures = forced(MAX_BEAMS, MAX_OUTPUT_TOKENS)
        began = time.perf_counter()
        work()  # one run: it takes minutes
        result["worst_case_limits"] = {**figures, "ms": 1000 * (time.perf_counter() - began)}
    return result


def parity(report: dict[str, Any]) -> None:
    """Token agreement of each backend with torch/float32, on the same greedy inputs."""
    reference = report["backends"].get("torch/float32")
    if reference is None:
        return
    for result in report["backends"].values():
        same = total = 0
        identical = 0
        for mine, theirs in zip(result["greedy_tokens"], reference["greedy_tokens"], strict=True):
            # The last token differs by design: transformers forces </s> at max_length.
            pairs = list(zip(mine[:-1], theirs[:-1], strict=True))
            same += sum(a == b for a, b in pairs)
            total += len(pairs)
            identical += mine[:-1] == theirs[:-1]
        result["token_agreement_vs_torch_float32"] = same / total
        result["identical_sequences_vs_torch_float32"] = (
            f"{identical}/{len(reference['greedy_tokens'])}"
        )


def memory_bandwidth_gb_s(size_mb: int = 1024, repeats: int = 5) -> float:
    """Bytes moved per second (read + write) copying a large array: median of `repeats`."""
    import numpy as np

    source = np.ones(size_mb * 1024 * 1024 // 8)
    target = np.empty_like(source)
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        np.copyto(target, source)
        samples.append(time.perf_counter() - began)
    return 2 * source.nbytes / statistics.median(samples) / 1e9


def decoder_bytes(folder: Path) -> dict[str, int]:
    """Parameters read at every decoding step: the decoder layers and the output projection."""
    count = 0
    for name, shape in _named_tensor_shapes(folder / "model.safetensors"):
        if ".decoder." in name or name.startswith(("model.shared", "lm_head", "final_logits")):
            size = 1
            for dim in shape:
                size *= dim
            count += size
    return {"parameters": count, "float32": 4 * count, "int8": count}


def _tensor_shapes(path: Path) -> list[list[int]]:
    return [shape for _, shape in _named_tensor_shapes(path)]


def _named_tensor_shapes(path: Path) -> list[tuple[str, list[int]]]:
    # The safetensors header: 8 bytes of length, then JSON with every tensor's shape.
    with path.open("rb") as handle:
        length = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(length))
    return [(name, meta["shape"]) for name, meta in header.items() if name != "__metadata__"]


def _rss_mb() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss, exec resets it, so
    a child does not inherit its parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _markdown(r: dict[str, Any]) -> str:
    backends = r["backends"]
    baseline = backends.get("torch/float32")
    lines = [
        f"# Abstractive speed on {r['shape']} "
        f"({r['parameters'] / 1e6:.1f} M parameters, random weights)",
        "",
        f"{r['input_tokens']} input tokens, exactly {r['new_tokens']} output tokens; median of "
        f"{r['repeats']} runs after a warm-up; {r['machine']}. Ratios against torch/float32.",
        "",
        "| figure | " + " | ".join(backends) + " |",
        "|---|" + "---|" * len(backends),
    ]

    def row(label: str, key: str, fmt: str, higher_is_better: bool = False) -> None:
        cells = []
        for result in backends.values():
            value = result[key]
            cell = format(value, fmt)
            if baseline and result is not baseline:
                ratio = value / baseline[key] if higher_is_better else baseline[key] / value
                cell += f" ({ratio:.2f}×)"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("encoder + first token, ms", "encoder_ms", ".0f")
    row("decoding per token, ms", "decode_ms_per_token", ".1f")
    row("greedy, batch 1, ms", "greedy_latency_ms", ".0f")
    row("beam 4, batch 1, ms", "beam4_latency_ms", ".0f")
    for batch in next(iter(backends.values()))["greedy_articles_per_s_by_batch"]:
        cells = []
        for result in backends.values():
            rate = result["greedy_articles_per_s_by_batch"][batch]
            cell = f"{rate:.3f}"
            if baseline:
                cell += f" ({rate / baseline['greedy_articles_per_s_by_batch']['1']:.2f}× b1)"
            cells.append(cell)
        lines.append(f"| greedy articles/s, batch {batch} | " + " | ".join(cells) + " |")
    for label, key, digits in (
        ("peak RSS, MB", "peak_rss_mb", 0),
        ("load (first use converts), s", "load_s", 1),
    ):
        values = " | ".join(f"{b[key]:.{digits}f}" for b in backends.values())
        lines.append(f"| {label} | {values} |")
    if baseline:
        agreement = [
            f"{b['token_agreement_vs_torch_float32']:.1%} "
            f"({b['identical_sequences_vs_torch_float32']} whole)"
            for b in backends.values()
        ]
        lines.append("| greedy tokens equal to torch/float32 | " + " | ".join(agreement) + " |")
    worst = [b for b in backends.values() if "worst_case_defaults" in b]
    if worst:
        lines += [
            "",
            f"Worst case a deadline cannot cut short ({worst[0]['worst_case_input_tokens']} "
            "input tokens, beam search forced to max_length):",
            "",
            "| backend | beams × tokens | ms | beam search stops at the next step |",
            "|---|---|---|---|",
        ]
        for backend, result in backends.items():
            for key in ("worst_case_defaults", "worst_case_limits"):
                if key in result:
                    case = result[key]
                    stops = "no" if "worst_case_limits" in result else "yes"
                    lines.append(
                        f"| {backend} | {case['num_beams']} × {case['max_length']} "
                        f"({case['output_tokens']} out) | {case['ms']:.0f} | {stops} |"
                    )
    bandwidth = r["memory_bandwidth_gb_s"]
    floor32 = 1000 * r["decoder_bytes"]["float32"] / (bandwidth * 1e9)
    floor8 = 1000 * r["decoder_bytes"]["int8"] / (bandwidth * 1e9)
    lines += [
        "",
        f"Memory bandwidth (1 GiB array copy, read + write): {bandwidth:.1f} GB/s. The decoder "
        f"and output projection hold {r['decoder_bytes']['parameters'] / 1e6:.0f} M parameters; "
        f"reading them once per token takes {floor32:.1f} ms in float32 and {floor8:.1f} ms in "
        "int8 at that bandwidth — the floor for decoding one token at batch 1.",
        "",
        "The weights are random, so these figures say nothing of summary quality; the int8 "
        "token agreement is a sanity check, not a quality measure.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
