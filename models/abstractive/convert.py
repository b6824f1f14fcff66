"""Converting a transformers checkpoint to CTranslate2, once, cached next to the checkpoint.

The one way a checkpoint is converted, whoever asks first: `newsum fetch-model`
(ahead of time, the default; the Docker image bakes the result) or the first
start of the service on a checkpoint without a converted copy, which logs that
it converts and how long it took. Later starts find the copy and reload it.

CTranslate2's converter predates transformers v5: it reads `normalize_before`
and `normalize_embedding` from BART's and PEGASUS's configs (PEGASUS's loader
is BART's), which v5 dropped. The shim restores what each architecture does
when a checkpoint's config.json does not say: BART normalises after each
sublayer and its embeddings (Lewis et al. 2020), PEGASUS before each sublayer
and not its embeddings (Zhang et al. 2020).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from newsum.models.abstractive.checkpoint import Checkpoint
from newsum.models.errors import ModelUnavailable

log = logging.getLogger("newsum.convert")
_MARKER = "model.bin"
# model_type -> (normalize_before, normalize_embedding), as transformers' modelling code does.
_NORMALISATION = {"bart": (False, True), "pegasus": (True, False)}


def converted_model(checkpoint: Checkpoint, compute_type: str) -> Path:
    """The CTranslate2 model for `checkpoint` at `compute_type`, converting it the first time."""
    beside, elsewhere = _cache_folders(checkpoint, compute_type)
    for folder in (beside, elsewhere):
        if (folder / _MARKER).exists():
            return folder  # converted before (by fetch-model, an image build): reload it
    # A read-only checkpoint (an image layer, a shared mount): the user's cache instead.
    target = beside if os.access(checkpoint.path, os.W_OK) else elsewhere
    log.info(
        "no CTranslate2 %s copy of %s yet: converting it once, into %s "
        "(newsum fetch-model does this ahead of time)",
        compute_type,
        checkpoint.name,
        target,
    )
    started = time.perf_counter()
    staging: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Convert into a temporary sibling, then rename: a half-written folder is never found.
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        _converter(str(checkpoint.path)).convert(
            str(staging), quantization=compute_type, force=True
        )
        _publish(staging, target)
    except Exception as error:  # an architecture CTranslate2 lacks, a full or read-only disk
        raise _unconvertible(checkpoint, error) from error
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    log.info(
        "converted %s to CTranslate2 %s in %.1f s; later starts reuse %s",
        checkpoint.name,
        compute_type,
        time.perf_counter() - started,
        target,
    )
    return target


def _publish(staging: Path, target: Path) -> None:
    """Rename the finished conversion into place; another process may have got there first."""
    try:
        os.replace(staging, target)
    except OSError:
        if not (target / _MARKER).exists():  # not a lost race: a real failure
            raise


def _cache_folders(checkpoint: Checkpoint, compute_type: str) -> tuple[Path, Path]:
    """Where a converted copy lives: beside the checkpoint, or in the user's cache."""
    beside = checkpoint.path / f"ctranslate2-{compute_type}"
    digest = hashlib.sha256(str(checkpoint.path.resolve()).encode()).hexdigest()[:16]
    elsewhere = Path.home() / ".cache" / "newsum" / "ctranslate2" / f"{digest}-{compute_type}"
    return beside, elsewhere


def _unconvertible(checkpoint: Checkpoint, error: Exception) -> ModelUnavailable:
    """A checkpoint CTranslate2 cannot take (an architecture it lacks, a broken file)."""
    summary = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return ModelUnavailable(
        f"model {checkpoint.name!r} could not be converted to CTranslate2 from "
        f"{checkpoint.path} ({type(error).__name__}: {summary[:300]}); serve it on torch "
        "with NEWSUM_BACKEND=torch, or re-fetch it with: "
        f"newsum fetch-model {checkpoint.name}"
    )


def _converter(path: str) -> Any:
    from ctranslate2.converters import TransformersConverter

    class _V5Converter(TransformersConverter):  # type: ignore[misc]
        def load_model(self, model_class: Any, name: str, **kwargs: Any) -> Any:
            model = super().load_model(model_class, name, **kwargs)
            config = model.config
            before, embedding = _NORMALISATION.get(config.model_type, (False, True))
            if not hasattr(config, "normalize_before"):
                config.normalize_before = before
            if not hasattr(config, "normalize_embedding"):
                config.normalize_embedding = embedding
            return model

    return _V5Converter(path, low_cpu_mem_usage=True)
