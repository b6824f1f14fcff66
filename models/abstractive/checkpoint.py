"""Loading a pretrained seq2seq summariser (BART, DistilBART, PEGASUS, T5) for inference.

A model is a local folder or a Hugging Face hub id. Loading never touches the
network: a hub id is looked up in the local cache only, so an offline or
air-gapped host fails at once with a reason that names the command that
fetches the model (`newsum fetch-model`), instead of hanging on the hub.
Generation defaults are the checkpoint's own: its generation config, overlaid
with `task_specific_params["summarization"]` as the v4 summarization pipeline
did (transformers v5 removed that pipeline).

Tokenizers come as the hub lays them out: `tokenizer.json`, or only the slow
files (BART's vocab.json + merges.txt, PEGASUS's and T5's spiece.model), which
transformers v5 converts to a fast tokenizer on load (sentencepiece's needs
`protobuf`). The loader records the family quirks the engine's finish stage
handles: the piece a checkpoint writes between summary sentences (PEGASUS's
`<n>`), and decoding without `clean_up_tokenization_spaces`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsum.models.abstractive.languages import UNKNOWN_SCOPE, LanguageScope, read_declared_scope
from newsum.models.errors import InvalidOption, ModelUnavailable

DEFAULT_MODEL = "sshleifer/distilbart-cnn-12-6"
MODEL_OFF = "none"

# Bounds on per-request generation overrides: beyond them a request costs
# minutes of CPU (beams multiply decoder work; output length is linear).
MAX_BEAMS = 8
MAX_OUTPUT_TOKENS = 512
MAX_NO_REPEAT_NGRAM = 10
MAX_LENGTH_PENALTY = 5.0
# When a checkpoint sets no output length, the BART-CNN defaults (Lewis et al. 2020).
_FALLBACK_MAX_LENGTH = 142
_FALLBACK_MIN_LENGTH = 56
# Positional limits beyond this are "no limit" markers (tokenizers use 1e30).
_SANE_INPUT_LIMIT = 1_000_000
_T5_INPUT_TOKENS = 512  # T5's relative positions have no hard limit; 512 is its training length
# Google's PEGASUS vocabulary has a piece for a newline, id 106 and not a special token;
# the CNN/DailyMail checkpoint writes it between summary sentences (Zhang et al. 2020).
_NEWLINE_PIECE = "<n>"
# Generation fields that checkpoints older than generation_config.json keep in config.json
# (BART-CNN's forced <s>; PEGASUS's beams and lengths) and that v5 drops when reading it.
_LEGACY_GENERATION_FIELDS = (
    "forced_bos_token_id",
    "num_beams",
    "min_length",
    "max_length",
    "length_penalty",
    "no_repeat_ngram_size",
    "early_stopping",
)


@dataclass(frozen=True, slots=True)
class GenerationSettings:
    """Beam-search settings for one generate() call; lengths count output tokens."""

    num_beams: int
    min_length: int
    max_length: int
    length_penalty: float
    no_repeat_ngram_size: int
    early_stopping: bool


@dataclass(frozen=True, slots=True)
class GenerationOverrides:
    """Per-request changes to a checkpoint's defaults; None keeps the default."""

    num_beams: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    length_penalty: float | None = None
    no_repeat_ngram_size: int | None = None

    def apply(self, defaults: GenerationSettings) -> GenerationSettings:
        merged = GenerationSettings(
            num_beams=_pick(self.num_beams, defaults.num_beams),
            min_length=_pick(self.min_length, defaults.min_length),
            max_length=_pick(self.max_length, defaults.max_length),
            length_penalty=_pick(self.length_penalty, defaults.length_penalty),
            no_repeat_ngram_size=_pick(self.no_repeat_ngram_size, defaults.no_repeat_ngram_size),
            early_stopping=defaults.early_stopping,
        )
        _check_bounds(merged)
        return merged


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint's tokenizer, configuration and generation defaults; the weights are
    loaded by a backend (models.abstractive.backends), which may never need torch's copy."""

    name: str
    path: Path
    tokenizer: Any
    config: Any  # the transformers PretrainedConfig
    generation_config: Any  # the transformers GenerationConfig
    defaults: GenerationSettings
    prefix: str  # T5's "summarize: "; empty for BART and PEGASUS
    max_input_tokens: int
    sentence_mark: str | None = None  # PEGASUS's "<n>" between summary sentences
    languages: LanguageScope = UNKNOWN_SCOPE  # what its model card (README.md) declares


def load_checkpoint(name: str, *, cache_dir: str | None = None) -> Checkpoint:
    """Read `name` (folder or cached hub id), or raise ModelUnavailable."""
    # Imported here: transformers takes seconds to import, and the TextRank-only
    # paths (tests, CLI) should not pay for it.
    from transformers import AutoConfig, AutoTokenizer, GenerationConfig
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    path = resolve(name, cache_dir=cache_dir)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        # The clean-up glues punctuation to the word before it (" 's" -> "'s", " ." -> "."),
        # undoing spaces that byte-level BPE and sentencepiece restore exactly; BART's
        # files ask for it (transformers v5 ignores that for BPE, with a warning).
        tokenizer.clean_up_tokenization_spaces = False
        config = AutoConfig.from_pretrained(path, local_files_only=True)
        if not getattr(config, "is_encoder_decoder", False):
            raise ValueError(f"{config.model_type} is not an encoder-decoder (seq2seq) model")
        if (path / "generation_config.json").exists():
            generation_config = GenerationConfig.from_pretrained(path, local_files_only=True)
        else:
            generation_config = GenerationConfig.from_model_config(config)
            raw = json.loads((path / "config.json").read_text(encoding="utf-8"))
            generation_config.update(  # type: ignore[no-untyped-call]
                **{key: raw[key] for key in _LEGACY_GENERATION_FIELDS if key in raw}
            )
    except Exception as error:  # any broken file or unsupported architecture
        raise unloadable(name, path, error) from error
    task = (getattr(config, "task_specific_params", None) or {}).get("summarization", {})
    return Checkpoint(
        name=name,
        path=path,
        tokenizer=tokenizer,
        config=config,
        generation_config=generation_config,
        defaults=_defaults(generation_config, task),
        prefix=str(task.get("prefix", "")),
        max_input_tokens=_max_input_tokens(config, tokenizer),
        sentence_mark=_sentence_mark(tokenizer),
        languages=read_declared_scope(path),
    )


def unloadable(name: str, path: Path, error: Exception) -> ModelUnavailable:
    """The error for files that are there but do not load, with the command that fixes it."""
    summary = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return ModelUnavailable(
        f"model {name!r} could not be loaded from {path} ({type(error).__name__}: "
        f"{summary[:300]}); re-fetch it with: newsum fetch-model {name}"
    )


def resolve(name: str, *, cache_dir: str | None = None) -> Path:
    """The folder holding `name`'s files, from disk or the local hub cache; never the network."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    candidate = Path(name).expanduser()
    if _looks_like_path(name) or candidate.is_dir():
        if not candidate.is_dir():
            raise ModelUnavailable(
                f"model folder {candidate} does not exist; put a checkpoint there with: "
                f"newsum fetch-model <hub id> --to {candidate}"
            )
        return candidate
    try:
        return Path(snapshot_download(name, cache_dir=cache_dir, local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError):
        raise ModelUnavailable(
            f"model {name!r} is not in the local Hugging Face cache, and newsum downloads a "
            f"model only when told to: fetch it with: newsum fetch-model {name}"
        ) from None
    except HFValidationError:
        raise ModelUnavailable(
            f"model {name!r} is neither an existing folder nor a valid hub id (owner/name)"
        ) from None


def _looks_like_path(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~")) or "\\" in name


def _defaults(generation_config: Any, task: dict[str, Any]) -> GenerationSettings:
    # Values the checkpoint set itself; the library's own defaults (max_length 20) are not advice.
    explicit = generation_config.to_diff_dict()

    def setting(key: str, fallback: Any) -> Any:
        return task.get(key, explicit.get(key, fallback))

    return GenerationSettings(
        num_beams=int(setting("num_beams", 1)),
        min_length=int(setting("min_length", _FALLBACK_MIN_LENGTH)),
        max_length=int(setting("max_length", _FALLBACK_MAX_LENGTH)),
        length_penalty=float(setting("length_penalty", 1.0)),
        no_repeat_ngram_size=int(setting("no_repeat_ngram_size", 0)),
        early_stopping=bool(setting("early_stopping", False)),
    )


def _max_input_tokens(config: Any, tokenizer: Any) -> int:
    limits = [
        int(value)
        for value in (
            getattr(config, "max_position_embeddings", None),
            getattr(tokenizer, "model_max_length", None),
        )
        if value is not None and 0 < int(value) < _SANE_INPUT_LIMIT
    ]
    return min(limits) if limits else _T5_INPUT_TOKENS


def _sentence_mark(tokenizer: Any) -> str | None:
    """The vocabulary's newline piece, which a summary may hold between sentences; else None."""
    piece_id = tokenizer.convert_tokens_to_ids(_NEWLINE_PIECE)
    known = piece_id is not None and piece_id != tokenizer.unk_token_id
    return _NEWLINE_PIECE if known and piece_id not in tokenizer.all_special_ids else None


def _pick(override: Any, default: Any) -> Any:
    return default if override is None else override


def _check_bounds(settings: GenerationSettings) -> None:
    checks = (
        ("num_beams", settings.num_beams, 1, MAX_BEAMS),
        ("max_length", settings.max_length, 1, MAX_OUTPUT_TOKENS),
        ("min_length", settings.min_length, 0, settings.max_length),
        ("no_repeat_ngram_size", settings.no_repeat_ngram_size, 0, MAX_NO_REPEAT_NGRAM),
        ("length_penalty", settings.length_penalty, 0.0, MAX_LENGTH_PENALTY),
    )
    for field, value, low, high in checks:
        if not low <= value <= high:
            raise InvalidOption(f"{field} must be between {low} and {high}; given: {value}")
