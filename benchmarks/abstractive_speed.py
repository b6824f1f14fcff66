"""Abstractive inference speed on a random-weight model of a real checkpoint's exact shape.

    python benchmarks/abstractive_speed.py [--shape PATH.json] [--backend torch]
        [--input-tokens 800] [--new-tokens 60] [--repeats 3] [--batches 1,4,8] [--out DIR]

Latency depends on the architecture, not on the weight values, so a randomly
initialised BartForConditionalGeneration built from `../shared/model-shapes/`
times like the real checkpoint (its parameter count is checked to 1 %). Every
generation is forced to exactly --new-tokens tokens (min = max), so runs
compare like for like. Figures are medians of --repeats runs, after one warm-up.
Writes `abstractive_speed_<backend>.{json,md}` to --out. A new backend is a
class with `encode` and `generate` registered in BACKENDS.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import torch

HERE = Path(__file__).resolve().parent
SHAPES = HERE.parent.parent / "shared" / "model-shapes"
# Parameter counts of the public checkpoints (../shared/model-shapes/README.md).
EXPECTED_PARAMETERS = {
    "distilbart-cnn-12-6": 306e6,
    "distilbart-cnn-6-6": 230e6,
    "bart-large-cnn": 406e6,
}


class Backend(Protocol):
    def encode(self, input_ids: torch.Tensor) -> None: ...

    def generate(self, input_ids: torch.Tensor, num_beams: int, new_tokens: int) -> int: ...


class TorchBackend:
    """transformers + torch fp32 on the CPU: the reference backend."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def encode(self, input_ids: torch.Tensor) -> None:
        with torch.inference_mode():
            self.model.get_encoder()(input_ids=input_ids, attention_mask=torch.ones_like(input_ids))

    def generate(self, input_ids: torch.Tensor, num_beams: int, new_tokens: int) -> int:
        with torch.inference_mode():
            output = self.model.generate(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                num_beams=num_beams,
                min_new_tokens=new_tokens,
                max_new_tokens=new_tokens,
                do_sample=False,
                no_repeat_ngram_size=0,
                length_penalty=1.0,
                early_stopping=False,
            )
        return int(output.shape[1])


BACKENDS: dict[str, Callable[[Any], Backend]] = {"torch": TorchBackend}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", type=Path, default=SHAPES / "distilbart-cnn-12-6.json")
    parser.add_argument("--backend", choices=sorted(BACKENDS), default="torch")
    parser.add_argument("--input-tokens", type=int, default=800)
    parser.add_argument("--new-tokens", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batches", default="1,4,8")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    model, parameters = build_model(args.shape)
    rss_model_mb = _peak_rss_mb()
    backend = BACKENDS[args.backend](model)
    generator = torch.Generator().manual_seed(0)

    def inputs(batch: int) -> torch.Tensor:
        # <s> + random ordinary tokens + </s>: the ids' values do not change the cost.
        body = torch.randint(4, model.config.vocab_size, (batch, args.input_tokens - 2),
                             generator=generator)  # fmt: skip
        bos = torch.full((batch, 1), model.config.bos_token_id)
        eos = torch.full((batch, 1), model.config.eos_token_id)
        return torch.cat([bos, body, eos], dim=1)

    single = inputs(1)

    def timed(run: Callable[[], Any]) -> float:
        run()  # warm-up: allocator, thread pool, caches
        samples = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            run()
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    figures: dict[str, Any] = {}
    figures["encoder_ms"] = 1000 * timed(lambda: backend.encode(single))
    one_token = timed(lambda: backend.generate(single, 1, 1))
    greedy = timed(lambda: backend.generate(single, 1, args.new_tokens))
    figures["decode_ms_per_token"] = 1000 * (greedy - one_token) / (args.new_tokens - 1)
    figures["greedy_latency_ms"] = 1000 * greedy
    figures["beam4_latency_ms"] = 1000 * timed(lambda: backend.generate(single, 4, args.new_tokens))
    throughput = {}
    for batch in (int(b) for b in args.batches.split(",")):
        batch_inputs = inputs(batch)
        seconds = timed(partial(backend.generate, batch_inputs, 1, args.new_tokens))
        throughput[str(batch)] = batch / seconds
    figures["greedy_articles_per_s_by_batch"] = throughput

    report = {
        "backend": args.backend,
        "shape": args.shape.name,
        "parameters": parameters,
        "input_tokens": args.input_tokens,
        "new_tokens": args.new_tokens,
        "repeats": args.repeats,
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "machine": f"{platform.machine()}, {_cpu_count()} cores",
        "rss_after_load_mb": rss_model_mb,
        "peak_rss_mb": _peak_rss_mb(),
        **figures,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"abstractive_speed_{args.backend}"
    (args.out / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    markdown = _markdown(report)
    (args.out / f"{stem}.md").write_text(markdown)
    print(markdown)
    return 0


def build_model(shape: Path) -> tuple[Any, int]:
    """A random-weight BART of `shape`, with its parameter count checked against the real one."""
    from transformers import BartConfig, BartForConditionalGeneration

    fields = json.loads(shape.read_text())
    config = BartConfig(**{k: v for k, v in fields.items() if k != "architectures"})
    torch.manual_seed(0)
    model = BartForConditionalGeneration(config)
    model.eval()  # type: ignore[no-untyped-call]
    parameters = sum(p.numel() for p in model.parameters())
    expected = EXPECTED_PARAMETERS.get(shape.stem)
    if expected and abs(parameters - expected) / expected > 0.01:
        raise SystemExit(
            f"{shape.name}: {parameters / 1e6:.1f} M parameters, expected {expected / 1e6:.0f} M"
        )
    return model, parameters


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0))


def _markdown(r: dict[str, Any]) -> str:
    lines = [
        f"# Abstractive speed: {r['backend']} on {r['shape']} "
        f"({r['parameters'] / 1e6:.1f} M parameters, random weights)",
        "",
        f"{r['input_tokens']} input tokens, exactly {r['new_tokens']} output tokens; median of "
        f"{r['repeats']} runs after a warm-up; {r['machine']}, torch {r['torch']} with "
        f"{r['torch_threads']} threads.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| encoder, 1 article | {r['encoder_ms']:.0f} ms |",
        f"| decoding, per token (greedy, batch 1) | {r['decode_ms_per_token']:.1f} ms |",
        f"| end to end, greedy, batch 1 | {r['greedy_latency_ms']:.0f} ms |",
        f"| end to end, beam 4, batch 1 | {r['beam4_latency_ms']:.0f} ms |",
    ]
    for batch, rate in r["greedy_articles_per_s_by_batch"].items():
        lines.append(f"| throughput, greedy, batch {batch} | {rate:.3f} articles/s |")
    lines += [
        f"| RSS after building the model | {r['rss_after_load_mb']:.0f} MB |",
        f"| peak RSS | {r['peak_rss_mb']:.0f} MB |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
