"""Where the decoding loop runs: CTranslate2 (the default) or transformers + torch (the reference).

CTranslate2 float32 is the default: it gives torch float32's greedy and beam
tokens (tests/models/test_backends.py) in about half the time and less memory
(benchmarks/perf/abstractive_speed.py); torch stays one setting away and is what
the parity tests hold CTranslate2 to. int8 is opt-in on both.

Both take token ids and give back the generated token ids (without the decoder
start token), so tokenising, the long-input policy, decoding and the sentence
split stay one shared piece of code in the engine. Each batch row has its own
Cancellation: a row that is cancelled or past its deadline stops decoding at
the next step (torch: greedy and beam search; CTranslate2: greedy — its beam
search takes no callback, so it can only be stopped before it starts and is
bounded by its maximum length) and comes back as None; the other rows go on.
Greedy decoding can also report each row's tokens as they are chosen
(`on_tokens`, for streaming: models.abstractive.streaming); a beam's tokens are
final only when the search ends, so beam search reports nothing on the way.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol

from newsum.models.abstractive.cancel import Cancellation, stopping_criteria
from newsum.models.abstractive.checkpoint import Checkpoint, GenerationSettings, unloadable
from newsum.models.errors import InvalidOption

BACKENDS = ("torch", "ctranslate2")
DEFAULT_BACKEND: Final = "ctranslate2"
DEFAULT_COMPUTE_TYPE: Final = "float32"
COMPUTE_TYPES = {
    "torch": ("float32", "int8"),  # int8: torch's dynamic quantisation of Linear layers
    "ctranslate2": ("float32", "int8", "int8_float32"),
}
# The decoding modes that a cancel or a deadline stops at the next token. CTranslate2
# calls back per token only in greedy search; its beam search runs to its end once started.
STOPPABLE_DECODING = {
    "torch": ("greedy", "beam_search"),
    "ctranslate2": ("greedy",),
}
# Called after each greedy step with a batch row and its generated token ids so far.
TokenObserver = Callable[[int, list[int]], None]


class Generator(Protocol):
    """One backend's decoding loop."""

    @property
    def name(self) -> str: ...  # "backend/compute_type"

    @property
    def backend(self) -> str: ...

    @property
    def compute_type(self) -> str: ...

    def generate(
        self,
        batch: Sequence[Sequence[int]],
        settings: GenerationSettings,
        cancels: Sequence[Cancellation],
        on_tokens: TokenObserver | None = None,
    ) -> list[list[int] | None]: ...

    def score(
        self, batch: Sequence[Sequence[int]], labels: Sequence[Sequence[int]]
    ) -> list[list[float]]:
        """Each label token's log-probability given its source and the labels before it."""
        ...


def open_generator(
    checkpoint: Checkpoint,
    backend: str = DEFAULT_BACKEND,
    compute_type: str = DEFAULT_COMPUTE_TYPE,
    threads: int | None = None,
) -> Generator:
    """`checkpoint`'s decoding loop on `backend`; CTranslate2 converts it the first time."""
    if backend not in BACKENDS:
        raise InvalidOption(f"backend must be one of {list(BACKENDS)}; given: {backend!r}")
    if compute_type not in COMPUTE_TYPES[backend]:
        raise InvalidOption(
            f"compute type for {backend} must be one of {list(COMPUTE_TYPES[backend])}; "
            f"given: {compute_type!r}"
        )
    if backend == "ctranslate2":
        return CTranslate2Generator(checkpoint, compute_type, threads)
    return TorchGenerator(checkpoint, compute_type, threads)


class TorchGenerator:
    """transformers' generate() on torch, fp32 or with dynamically quantised int8 Linear layers."""

    def __init__(self, checkpoint: Checkpoint, compute_type: str, threads: int | None) -> None:
        import torch
        from transformers import AutoModelForSeq2SeqLM

        if threads:
            torch.set_num_threads(threads)  # process-wide: torch has one intra-op pool
        try:
            model = AutoModelForSeq2SeqLM.from_pretrained(
                checkpoint.path, local_files_only=True, dtype=torch.float32
            )
        except Exception as error:
            raise unloadable(checkpoint.name, checkpoint.path, error) from error
        model.eval()
        if compute_type == "int8":
            model = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
                model, {torch.nn.Linear}, torch.qint8
            )
        self.model = model
        self.backend = "torch"
        self.compute_type = compute_type
        self.name = f"torch/{compute_type}"
        self._pad = checkpoint.tokenizer.pad_token_id or 0
        self._start = model.config.decoder_start_token_id
        # BART-CNN's forced <s> after the decoder start, which v5 may not have carried
        # from config.json into the model's own generation config (checkpoint.py).
        forced_bos = checkpoint.generation_config.forced_bos_token_id
        self._forced: dict[str, int] = (
            {} if forced_bos is None else {"forced_bos_token_id": forced_bos}
        )

    def generate(
        self,
        batch: Sequence[Sequence[int]],
        settings: GenerationSettings,
        cancels: Sequence[Cancellation],
        on_tokens: TokenObserver | None = None,
    ) -> list[list[int] | None]:
        import torch
        from transformers import StoppingCriteriaList

        longest = max(len(ids) for ids in batch)
        input_ids = torch.full((len(batch), longest), self._pad, dtype=torch.long)
        attention_mask = torch.zeros((len(batch), longest), dtype=torch.long)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            attention_mask[row, : len(ids)] = 1
        beam: dict[str, Any] = {}
        if settings.num_beams > 1:  # transformers warns about beam settings without beams
            beam = {
                "length_penalty": settings.length_penalty,
                "early_stopping": settings.early_stopping,
            }
        # Beams' tokens are not final until the search ends: only greedy reports them.
        greedy = on_tokens if settings.num_beams == 1 else None
        with torch.inference_mode():
            output = self.model.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                num_beams=settings.num_beams,
                min_length=settings.min_length,
                max_length=settings.max_length,
                no_repeat_ngram_size=settings.no_repeat_ngram_size,
                do_sample=False,
                stopping_criteria=StoppingCriteriaList([stopping_criteria(list(cancels), greedy)]),
                **self._forced,
                **beam,
            )
        results: list[list[int] | None] = []
        for row, cancel in zip(output.tolist(), cancels, strict=True):
            if cancel.should_stop():
                results.append(None)
                continue
            if row and row[0] == self._start:
                row = row[1:]
            while row and row[-1] == self._pad:
                row.pop()
            results.append(row)
        return results

    def score(
        self, batch: Sequence[Sequence[int]], labels: Sequence[Sequence[int]]
    ) -> list[list[float]]:
        """One teacher-forced pass: the labels, shifted right after the decoder start token
        (the model's own shift), are the decoder's input; padding is -100, which it ignores."""
        import torch

        longest, targets = max(map(len, batch)), max(map(len, labels))
        input_ids = torch.full((len(batch), longest), self._pad, dtype=torch.long)
        attention_mask = torch.zeros((len(batch), longest), dtype=torch.long)
        label_ids = torch.full((len(batch), targets), -100, dtype=torch.long)
        for row, (ids, target) in enumerate(zip(batch, labels, strict=True)):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            attention_mask[row, : len(ids)] = 1
            label_ids[row, : len(target)] = torch.tensor(target)
        with torch.inference_mode():
            logits = self.model(
                input_ids=input_ids, attention_mask=attention_mask, labels=label_ids
            ).logits
            picked = label_ids.clamp(min=0).unsqueeze(-1)
            log_probs = logits.float().log_softmax(-1).gather(-1, picked).squeeze(-1)
        return [row[: len(t)] for row, t in zip(log_probs.tolist(), labels, strict=True)]


class CTranslate2Generator:
    """CTranslate2's Translator on the CPU (OpenNMT; Klein et al. 2020), converted once."""

    def __init__(self, checkpoint: Checkpoint, compute_type: str, threads: int | None) -> None:
        import ctranslate2

        from newsum.models.abstractive.convert import converted_model

        folder = converted_model(checkpoint, compute_type)
        self.translator = ctranslate2.Translator(
            str(folder),
            device="cpu",
            compute_type=compute_type,
            inter_threads=1,
            intra_threads=threads or os.cpu_count() or 0,
        )
        self.backend = "ctranslate2"
        self.compute_type = compute_type
        self.name = f"ctranslate2/{compute_type}"
        self._tokenizer = checkpoint.tokenizer
        forced_bos = checkpoint.generation_config.forced_bos_token_id
        # BART-CNN forces <s> right after the decoder start; CTranslate2 takes it as a prefix.
        self._prefix = (
            [checkpoint.tokenizer.convert_ids_to_tokens(forced_bos)]
            if forced_bos is not None
            else None
        )

    def generate(
        self,
        batch: Sequence[Sequence[int]],
        settings: GenerationSettings,
        cancels: Sequence[Cancellation],
        on_tokens: TokenObserver | None = None,
    ) -> list[list[int] | None]:
        source = [self._tokenizer.convert_ids_to_tokens(list(ids)) for ids in batch]
        options: dict[str, Any] = {
            "beam_size": settings.num_beams,
            "length_penalty": settings.length_penalty,
            "no_repeat_ngram_size": settings.no_repeat_ngram_size,
            # transformers counts the decoder start token in its lengths; CTranslate2 does not.
            "min_decoding_length": max(0, settings.min_length - 1),
            "max_decoding_length": max(1, settings.max_length - 1),
            "return_end_token": True,
            "max_input_length": 0,  # the engine has already fitted the input
        }
        steps = _Steps(self._tokenizer, cancels, on_tokens)
        if settings.num_beams == 1:
            options["callback"] = steps
        prefix = [list(self._prefix) for _ in batch] if self._prefix else None
        results = self.translator.translate_batch(source, target_prefix=prefix, **options)
        steps.raise_error()
        return [
            None
            if cancel.should_stop()
            else list(self._tokenizer.convert_tokens_to_ids(result.hypotheses[0]))
            for result, cancel in zip(results, cancels, strict=True)
        ]

    def score(
        self, batch: Sequence[Sequence[int]], labels: Sequence[Sequence[int]]
    ) -> list[list[float]]:
        """Translator.score_batch: it adds the decoder start and the end token itself, so the
        labels go without their final end token and come back with its log-probability."""
        source = [self._tokenizer.convert_ids_to_tokens(list(ids)) for ids in batch]
        target = [self._tokenizer.convert_ids_to_tokens(list(t[:-1])) for t in labels]
        results = self.translator.score_batch(source, target, max_input_length=0)
        return [list(result.log_probs) for result in results]


class _Steps:
    """CTranslate2's per-step callback in greedy search: True stops the row.

    An error raised inside it would cross CTranslate2's C++ worker thread (and
    end the process), so it is kept, the row stopped, and the error raised again
    once `translate_batch` has returned.
    """

    def __init__(
        self, tokenizer: Any, cancels: Sequence[Cancellation], on_tokens: TokenObserver | None
    ) -> None:
        self._tokenizer = tokenizer
        self._cancels = cancels
        self._on_tokens = on_tokens
        # Each row's tokens so far. The forced prefix (BART-CNN's <s>) is not a step;
        # decoding drops it as a special token either way.
        self._generated: dict[int, list[int]] = {}
        self._error: Exception | None = None

    def __call__(self, step: Any) -> bool:
        if self._on_tokens is not None:
            try:
                tokens = self._generated.setdefault(step.batch_id, [])
                tokens.append(self._tokenizer.convert_tokens_to_ids(step.token))
                self._on_tokens(step.batch_id, list(tokens))
            except Exception as error:
                self._error = error
                return True
        return bool(self._cancels[step.batch_id].should_stop())

    def raise_error(self) -> None:
        # Let go of it first: its traceback holds the engine (see engine.summarize_streaming).
        error, self._error = self._error, None
        if error is not None:
            raise error
