"""The HTTP contract (../shared/API.md) as pydantic models: what OpenAPI publishes.

Response models mirror the frozen dataclasses of `models.types` field for field,
so a `Report` converts with `from_attributes` and nothing is renamed on the way.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    field_validator,
    model_validator,
)

from newsum.models.abstractive.checkpoint import (
    MAX_BEAMS,
    MAX_LENGTH_PENALTY,
    MAX_NO_REPEAT_NGRAM,
    MAX_OUTPUT_TOKENS,
    GenerationOverrides,
)
from newsum.models.corpus_line import CORPUS_FIELDS, TEXT, TEXT_ALIAS
from newsum.models.coverage import ADDED_BELOW, KEPT_FROM
from newsum.models.textrank import MAX_SUMMARY_SENTENCES, REPEAT_SIMILARITY, Pick
from newsum.models.types import METHODS, AttributionReport, Method, Report, SentenceNli

# Scores are rounded for the wire: six places is finer than any decision made on them.
Score = Annotated[float, PlainSerializer(lambda value: round(value, 6), return_type=float)]
Millis = Annotated[float, PlainSerializer(lambda value: round(value, 2), return_type=float)]

TITLE_MAX_CHARS = 1_000


def _integral(value: object) -> object:
    # JSON Schema's integer is any number without a fraction: 3.0 is 3. The
    # request models are strict otherwise: never "3" for 3, nor true for 1.
    return int(value) if isinstance(value, float) and value.is_integer() else value


class GenerationOptions(BaseModel):
    """Per-request changes to the model's own generation defaults (GET /v1/models lists them)."""

    # Strict: JSON's types as the schema says them (no "2" for 2, no false for 0).
    model_config = ConfigDict(extra="forbid", strict=True)

    num_beams: int | None = Field(None, ge=1, le=MAX_BEAMS, description="Beam width.")
    min_length: int | None = Field(
        None, ge=0, le=MAX_OUTPUT_TOKENS, description="Fewest summary tokens."
    )
    max_length: int | None = Field(
        None, ge=1, le=MAX_OUTPUT_TOKENS, description="Most summary tokens."
    )
    length_penalty: float | None = Field(
        None, ge=0, le=MAX_LENGTH_PENALTY, description="Beam score length exponent."
    )
    no_repeat_ngram_size: int | None = Field(
        None, ge=0, le=MAX_NO_REPEAT_NGRAM, description="Never repeat an n-gram of this size."
    )

    _integral = field_validator(
        "num_beams", "min_length", "max_length", "no_repeat_ngram_size", mode="before"
    )(_integral)

    def overrides(self) -> GenerationOverrides:
        return GenerationOverrides(**self.model_dump())


class SummarizeRequest(BaseModel):
    """An article to summarise. Text length is bounded by the server's `max_article_chars`."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "text": "Syria's interim Foreign Minister visited Iraq on Friday.\n"
                    "He met his Iraqi counterpart in Baghdad.\n"
                    "Both pledged to cooperate against the Islamic State group.",
                    "methods": ["textrank"],
                    "max_sentences": 2,
                }
            ]
        },
    )

    text: str = Field(description="The article body; paragraphs separated by line breaks.")
    title: str | None = Field(None, max_length=TITLE_MAX_CHARS, description="The headline.")
    standfirst: str | None = Field(
        None, description="The CMS's standfirst / dek; when given it is the article's lead."
    )
    methods: list[Method] = Field(
        default_factory=lambda: list(METHODS),
        min_length=1,
        max_length=len(METHODS),
        description="Which summaries to produce.",
    )
    max_sentences: int = Field(
        3, ge=1, le=MAX_SUMMARY_SENTENCES, description="Length of the extractive summary."
    )
    textrank_pick: Pick = Field(
        "distinct",
        description="How TextRank's summary is picked from its ranking: `distinct` passes "
        "over a sentence whose content terms overlap an already picked one's by "
        f"{REPEAT_SIMILARITY:g} or more (cosine), so no fact is told twice; `classic` takes "
        "the best-ranked sentences as they come. The ranking is the same either way.",
    )
    model: str | None = Field(
        None, max_length=200, description="Abstractive model id, one of GET /v1/models."
    )
    language: str | None = Field(
        None,
        pattern=r"^[a-z]{2,3}$",
        description="ISO 639 code of the article's language; detected when absent.",
    )
    generation: GenerationOptions | None = Field(
        None, description="Abstractive generation settings; the model's own when absent."
    )
    _integral_max_sentences = field_validator("max_sentences", mode="before")(_integral)
    # Set by the body reader when an article page's description became the standfirst.
    _standfirst_from_page: bool = PrivateAttr(default=False)

    @property
    def standfirst_from_page(self) -> bool:
        return self._standfirst_from_page

    @standfirst_from_page.setter
    def standfirst_from_page(self, value: bool) -> None:
        self._standfirst_from_page = value


class _FromDomain(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TextSpan(_FromDomain):
    start: int
    end: int
    text: str


class SentenceOut(_FromDomain):
    index: int
    start: int
    end: int
    text: str
    paragraph: int


class ParagraphOut(_FromDomain):
    index: int
    start: int
    end: int
    sentences: list[int]


class LeadOut(_FromDomain):
    method: Literal["standfirst", "first_paragraph", "first_sentences"]
    sentences: list[int]
    text: str
    spans: list[TextSpan] = Field(
        default_factory=list,
        description="A standfirst's own sentences, offsets into `lead.text`: what the lead "
        "comparison's indexes refer to. Empty for a lead in the text (see `sentences`).",
    )


class ClosingOut(_FromDomain):
    method: Literal["last_paragraph", "last_sentences"]
    sentences: list[int]
    text: str


class BoilerplateOut(_FromDomain):
    start: int
    end: int
    text: str
    kind: str = Field(description="byline, dateline, timestamp, source, credit, social, ...")


class ArticleOut(_FromDomain):
    text: str
    language: str
    title: str | None
    headline: TextSpan | None = Field(description="A first line taken as the headline.")
    sentences: list[SentenceOut]
    paragraphs: list[ParagraphOut]
    lead: LeadOut
    closing: ClosingOut | None
    boilerplate: list[BoilerplateOut]
    standfirst_source: Literal["request", "page"] | None = Field(
        None,
        description="Where the standfirst (the lead, when there is one) came from: the "
        "request's `standfirst`, or the article page's own description (`og:description` / "
        '`<meta name="description">`) for an HTML body that gave none.',
    )


class RankedSentenceOut(_FromDomain):
    sentence: int
    score: Score
    rank: int


class AttributionOut(_FromDomain):
    sentence: int = Field(description="Index into article.sentences.")
    score: Score


class NliEvidenceOut(BaseModel):
    start_sentence: int = Field(description="First article sentence of the block (an index).")
    end_sentence: int = Field(description="Last article sentence of the block, inclusive.")


class SentenceNliOut(_FromDomain):
    """The NLI judge's verdict on one summary sentence (NEWSUM_NLI_MODEL; SummaC zero-shot)."""

    entailment: Score = Field(description="P(entailment) of the sentence given its best block.")
    contradiction: Score | None = Field(
        description="P(contradiction) there; null for a two-label (entailment / not) judge."
    )
    score: Score = Field(
        ge=-1,
        le=1,
        description="entailment - contradiction (entailment alone for a two-label judge): "
        "the highest over the article's blocks.",
    )
    evidence: NliEvidenceOut = Field(description="The article block that scored best.")

    @model_validator(mode="before")
    @classmethod
    def _evidence_of_domain(cls, value: Any) -> Any:
        if isinstance(value, SentenceNli):
            return {
                "entailment": value.entailment,
                "contradiction": value.contradiction,
                "score": value.score,
                "evidence": {
                    "start_sentence": value.start_sentence,
                    "end_sentence": value.end_sentence,
                },
            }
        return value


class SummaryNliOut(_FromDomain):
    """The NLI judge's verdict on a whole summary."""

    mean: Score = Field(ge=-1, le=1, description="The mean of its sentences' scores.")
    min: Score = Field(ge=-1, le=1, description="Its least supported sentence's score.")
    pairs: int = Field(description="(article block, summary sentence) pairs scored.")
    capped: bool = Field(
        description="True when NEWSUM_NLI_MAX_PAIRS left some blocks unscored: each sentence "
        "was judged against the blocks sharing most words with it."
    )


def _off(value: Any) -> bool:
    return value is None


# Present only with the NLI judge on, so answers without it are as they were.
SENTENCE_NLI = Field(
    None,
    exclude_if=_off,
    description="With NEWSUM_NLI_MODEL only: the NLI judge's verdict on this sentence.",
)
SUMMARY_NLI = Field(
    None,
    exclude_if=_off,
    description="With NEWSUM_NLI_MODEL only: the NLI judge's verdict on the whole summary "
    "(`support` is then (mean + 1) / 2; docs/attribution.md, 'The NLI judge').",
)


class ExtractedSentenceOut(_FromDomain):
    text: str
    source_sentences: list[int]
    start: int
    end: int
    attributions: list[AttributionOut] = Field(description="Its own sentence, score 1.")
    support: Score
    unsupported: list[str]
    nli: SentenceNliOut | None = SENTENCE_NLI


class TextRankOut(_FromDomain):
    status: Literal["ok"]
    text: str
    sentences: list[ExtractedSentenceOut]
    ranking: list[RankedSentenceOut] = Field(description="Every article sentence, best first.")
    elapsed_ms: Millis
    nli: SummaryNliOut | None = SUMMARY_NLI


SUMMARY_SUPPORT = (
    "How likely the whole summary is faithful to the article, 0-1: a logistic regression over "
    "the sentences' support and cheap lexical checks, calibrated on expert consistency labels "
    "(docs/attribution.md, 'Faithfulness'); with NEWSUM_NLI_MODEL, the NLI judge's score "
    "mapped to 0-1 instead (`support_signals` then starts with `nli`). Null when the summary "
    "has no sentence."
)
SUPPORT_SIGNALS = (
    "The signals `support` was computed from (those that apply to this article); with "
    "NEWSUM_MODEL_SUPPORT=on, also the served model's score, `model_loglik=<mean token "
    "log-probability> (sentences: ...)`, followed by `; not folded: <why>` when it is not in "
    "`support`, or `model_loglik: not scored: <why>`. With NEWSUM_NLI_MODEL: `nli` and "
    "`offline_support=<the support without the judge>` first, or `nli: not scored: <why>`."
)


class GeneratedSentenceOut(_FromDomain):
    text: str
    start: int = Field(description="Offset into the summary's text.")
    end: int
    attributions: list[AttributionOut] = Field(
        description="Supporting article sentences, best first."
    )
    support: Score | None = Field(description="How well the article backs the sentence, 0-1.")
    unsupported: list[str] = Field(description="Numbers and names the article does not contain.")
    nli: SentenceNliOut | None = SENTENCE_NLI


class AbstractiveOut(_FromDomain):
    status: Literal["ok", "unavailable", "error"]
    reason: str | None = Field(description="When not ok: why, and what the operator can do.")
    model: str | None
    text: str
    sentences: list[GeneratedSentenceOut]
    input_tokens: int | None = Field(description="Tokens the model read.")
    truncated: bool | None = Field(description="True when the article did not fit the model.")
    input_sentences: list[int] = Field(description="The article sentences the model read.")
    elapsed_ms: Millis | None
    support: Score | None = Field(None, description=SUMMARY_SUPPORT)
    support_signals: list[str] = Field(default_factory=list, description=SUPPORT_SIGNALS)
    nli: SummaryNliOut | None = SUMMARY_NLI


class RougeOut(_FromDomain):
    rouge1: Score
    rouge2: Score
    rougeL: Score  # noqa: N815 - the contract's field name


class KeptOut(_FromDomain):
    sentence: int = Field(
        description="The lead (closing) sentence: an index into article.sentences, or into "
        "article.lead.spans for a standfirst."
    )
    by: list[int] = Field(description="The summary sentences that cover it, best first.")
    score: Score = Field(description="How fully they cover it, 0-1.")


class AddedOut(_FromDomain):
    sentence: int = Field(description="The summary sentence the lead (closing) lacks.")
    support_in: Literal["lead", "body", "closing", "none"] = Field(
        description="Where in the article its best source lies; none: no article sentence "
        "supports it (see its `support`)."
    )


class VersusOut(RougeOut):
    kept: list[KeptOut] = Field(
        description=f"Lead (closing) sentences the summary covers (score >= {KEPT_FROM})."
    )
    dropped: list[int] = Field(description="Lead (closing) sentences it does not cover.")
    added: list[AddedOut] = Field(
        description=f"Summary sentences less than {ADDED_BELOW} backed by the lead (closing)."
    )


class PositionOut(_FromDomain):
    lead: Score
    body: Score
    closing: Score


class ComparisonOut(_FromDomain):
    vs_lead: VersusOut
    vs_closing: VersusOut | None
    position: PositionOut


class SummariesOut(_FromDomain):
    textrank: TextRankOut | None
    abstractive: AbstractiveOut | None


class ComparisonsOut(_FromDomain):
    textrank: ComparisonOut | None
    abstractive: ComparisonOut | None
    lead_vs_closing: VersusOut | None = Field(
        description="The closing as a summary of the lead: ROUGE, the lead sentences it "
        "restates, and its own sentences that add to the lead. Its sentences are the "
        "article's, so `by` and `added[].sentence` are article sentence indexes."
    )


class SummarizeResponse(_FromDomain):
    article: ArticleOut
    summaries: SummariesOut
    comparison: ComparisonsOut


class AttributeRequest(BaseModel):
    """A summary (an editor's, another system's) to attribute to an article."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "text": "Syria's interim Foreign Minister visited Iraq on Friday.\n"
                    "He met his Iraqi counterpart in Baghdad.",
                    "summary": "Syria's foreign minister met his Iraqi counterpart in Baghdad.",
                }
            ]
        },
    )

    text: str = Field(description="The article body; bounded by `max_article_chars`.")
    summary: str = Field(description="The summary to attribute; bounded by `max_summary_chars`.")
    title: str | None = Field(None, max_length=TITLE_MAX_CHARS)
    standfirst: str | None = None
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}$")


class AttributeResponse(_FromDomain):
    article: ArticleOut
    sentences: list[GeneratedSentenceOut] = Field(description="Offsets are into the summary.")
    support: Score | None = Field(None, description=SUMMARY_SUPPORT)
    support_signals: list[str] = Field(default_factory=list, description=SUPPORT_SIGNALS)
    nli: SummaryNliOut | None = SUMMARY_NLI
    comparison: ComparisonOut


class ErrorDetail(BaseModel):
    code: str
    message: str = Field(description="States the limit and the value that broke it.")


class ErrorResponse(BaseModel):
    error: ErrorDetail


def _line_schema(schema: dict[str, Any]) -> None:
    # `text` or its alias `article`, one of the two; the corpus fields, each taken and ignored.
    properties = schema["properties"]
    alias = {
        **properties[TEXT],
        "title": "Article",
        "description": f"Alias of `{TEXT}`, as the benchmark corpora call it; give one of the two.",
    }
    text = properties.pop(TEXT)
    schema["properties"] = properties = {TEXT: text, TEXT_ALIAS: alias, **properties}
    schema["required"] = [name for name in schema.get("required", []) if name != TEXT]
    schema["oneOf"] = [{"required": [TEXT]}, {"required": [TEXT_ALIAS]}]
    for name, description in CORPUS_FIELDS.items():
        properties[name] = {"description": f"Ignored: a benchmark corpus's field. {description}"}
    schema["examples"] = [
        {"id": "a1", "text": "First article. It has two sentences.", "methods": ["textrank"]},
        {"id": "newsroom-1", "article": "Second article here.", "reference": "A summary."},
    ]


class BatchRequestLine(SummarizeRequest):
    """One line of POST /v1/summarize/batch, `newsum batch` and `newsum bench` (one shape).

    A summarize request with an optional id; its text as `text` or as `article`. The
    fields the benchmark corpora carry beside the article are taken and ignored, so a
    corpus posts as it is; any other field is refused, naming the field it may have meant.
    """

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_line_schema)

    text: str = Field(
        validation_alias=AliasChoices(TEXT, TEXT_ALIAS),
        description="The article body; paragraphs separated by line breaks.",
    )
    id: str | int | None = Field(None, description="Echoed on the result line.")

    _integral_id = field_validator("id", mode="before")(_integral)

    @model_validator(mode="before")
    @classmethod
    def _without_corpus_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if key not in CORPUS_FIELDS}
        return data


class BatchResultLine(BaseModel):
    """One line of the batch answer: the summarize response, or the error of that line."""

    id: str | int | None
    line: int = Field(description="1-based line number in the request.")
    result: SummarizeResponse | None = None
    error: ErrorDetail | None = None


class HealthResponse(BaseModel):
    status: Literal["ok"]


class EngineReadiness(BaseModel):
    engine: Literal["textrank", "abstractive", "embeddings", "judge", "nli"] = Field(
        description="`judge`: a serving model scoring summaries (NEWSUM_MODEL_SUPPORT on); "
        "its `id` is the model's. `nli`: the NLI judge (NEWSUM_NLI_MODEL)."
    )
    id: str = Field(description="The model (the abstractive `model` id), or `textrank`.")
    status: Literal["ready", "loading", "unavailable"]
    reason: str | None = Field(
        None, description="When not ready: why, and what the operator can do."
    )


class ReadyResponse(BaseModel):
    """Ready, perhaps degraded: the service answers; an unavailable engine's answers say so."""

    status: Literal["ready"]
    degraded: bool = Field(
        description="Some configured engine is unavailable (a model not fetched): the "
        "service answers without it, and each answer that needed it says why."
    )
    models: list[str] = Field(
        default_factory=list,
        description="The abstractive models loaded and warmed up, in routing order.",
    )
    engines: list[EngineReadiness] = Field(
        description="Every configured engine: TextRank, each abstractive model, the sentence "
        "embeddings, each model's judge; one turned off (`none`) is not listed."
    )


class ModelInfo(BaseModel):
    id: str = Field(description="The value to pass as `model`.")
    method: Literal["textrank", "abstractive"]
    status: Literal["ok", "unavailable"]
    reason: str | None = Field(description="When unavailable: why, and what the operator can do.")
    generation_defaults: dict[str, float | int | bool] | None = None
    max_input_tokens: int | None = None
    backend: Literal["ctranslate2", "torch"] | None = Field(
        None, description="Abstractive: where generation runs (NEWSUM_BACKEND)."
    )
    compute_type: Literal["float32", "int8", "int8_float32"] | None = Field(
        None, description="Abstractive: the weights' number type (NEWSUM_COMPUTE_TYPE)."
    )
    languages: list[str] | None = Field(
        None,
        description="Abstractive: the ISO 639-1 codes of the articles it summarises; null: "
        "every language (its model card says `multilingual`, or nothing: see `language_scope`).",
    )
    language_scope: Literal["declared", "configured", "unknown"] | None = Field(
        None,
        description="Abstractive: where `languages` comes from: its model card, "
        "NEWSUM_MODEL_LANGUAGES, or neither (assumed to serve every language).",
    )
    stoppable_decoding: list[Literal["greedy", "beam_search"]] | None = Field(
        None,
        description="Abstractive: the decodings that stop at their next token when the "
        "request's deadline passes or its client hangs up (`num_beams` 1 is greedy, more is "
        "beam search). One not listed (beam search on ctranslate2) is checked only before it "
        "starts, then runs to its end, at most `max_length` tokens.",
    )
    streams: Literal["sentences", "at_end"] | None = Field(
        None,
        description="Abstractive, with `Accept: text/event-stream`: how its sentences are "
        "sent with the model's default `num_beams`. `sentences`: each as soon as the model "
        "has finished it (greedy decoding, `num_beams` 1, on either backend); `at_end`: all "
        "when generation ends (beam search, whose tokens are final only then). A request's "
        "own `generation.num_beams` decides for that request.",
    )


class JudgeInfo(BaseModel):
    """The NLI judge (NEWSUM_NLI_MODEL) with its labels and limits."""

    id: str = Field(description="The checkpoint: a hub id or a folder.")
    kind: Literal["nli"]
    status: Literal["ok", "unavailable"]
    reason: str | None = Field(description="When unavailable: why, and what the operator can do.")
    labels: list[str] | None = Field(
        None, description="The checkpoint's classes, in its output order (config.id2label)."
    )
    max_input_tokens: int | None = Field(None, description="The most tokens the model takes.")
    max_pair_tokens: int | None = Field(
        None, description="Tokens per (article block, summary sentence) pair at most."
    )
    max_pairs: int = Field(description="Pairs scored per summary at most (NEWSUM_NLI_MAX_PAIRS).")
    batch_size: int = Field(description="Pairs per forward pass (NEWSUM_NLI_BATCH_SIZE).")


class ModelsResponse(BaseModel):
    models: list[ModelInfo]
    judges: list[JudgeInfo] = Field(
        default_factory=list,
        description="The faithfulness judges beside the offline score: the NLI judge when "
        "NEWSUM_NLI_MODEL names one; empty when it is off.",
    )


def summarize_response(report: Report) -> SummarizeResponse:
    """The response body for a report; the CLI's --json prints the same."""
    return SummarizeResponse.model_validate(report)


def attribute_response(report: AttributionReport) -> AttributeResponse:
    return AttributeResponse.model_validate(report)
