"""Converting a transformers checkpoint to CTranslate2, once, cached next to the checkpoint.

CTranslate2's converter predates transformers v5: it reads `normalize_before`
and `normalize_embedding` from BART's and PEGASUS's configs (PEGASUS's loader
is BART's), which v5 dropped. The shim restores what each architecture does
when a checkpoint's config.json does not say: BART normalises after each
sublayer and its embeddings (Lewis et al. 2020), PEGASUS before each sublayer
and not its embeddings (Zhang et al. 2020).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from models.abstractive.checkpoint import Checkpoint, unloadable

_MARKER = "model.bin"
# model_type -> (normalize_before, normalize_embedding), as transformers' modelling code does.
_NORMALISATION = {"bart": (False, True), "pegasus": (True, False)}


def converted_model(checkpoint: Checkpoint, compute_type: str) -> Path:
    """The CTranslate2 model for `checkpoint` at `compute_type`, converting it the first time."""
    target = _cache_folder(checkpoint, compute_type)
    if (target / _MARKER).exists():
        return target  # converted before: reload, do not convert again
    target.parent.mkdir(parents=True, exist_ok=True)
    # Convert into a temporary sibling, then rename: a half-written folder is never found.
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        _converter(str(checkpoint.path)).convert(
            str(staging), quantization=compute_type, force=True
        )
        os.replace(staging, target)
    except Exception as error:
        raise unloadable(checkpoint.name, checkpoint.path, error) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _cache_folder(checkpoint: Checkpoint, compute_type: str) -> Path:
    beside = checkpoint.path / f"ctranslate2-{compute_type}"
    if os.access(checkpoint.path, os.W_OK):
        return beside
    # A read-only checkpoint (an image layer, a shared mount): the user's cache instead.
    digest = hashlib.sha256(str(checkpoint.path.resolve()).encode()).hexdigest()[:16]
    return Path.home() / ".cache" / "newsum" / "ctranslate2" / f"{digest}-{compute_type}"


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
