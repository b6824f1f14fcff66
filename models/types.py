"""The result types every engine returns. Frozen: results are shared across threads.

Offsets are Unicode code points into `Article.text` unless a docstring says
otherwise, so `article.text[s.start:s.end] == s.text` for every span.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LeadMethod = Literal["standfirst", "first_paragraph", "first_sentences"]
ClosingMethod = Literal["last_paragraph", "last_sentences"]
EngineStatus = Literal["ok", "unavailable", "error"]
StandfirstSource = Literal["request", "page"]
SupportPlace = Literal["lead", "body", "closing", "none"]
# The summaries `models.summarize` makes; here, so a command line can name them cheaply.
Method = Literal["textrank", "abstractive"]
METHODS: tuple[Method, ...] = ("textrank", "abstractive")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class TextWords:
    """A text's words as the engines compare them (`models.terms.analyse`), made once."""

    # Case-folded words, single characters for scripts written without spaces:
    # ROUGE's tokens, and the text's length in words.
    tokens: tuple[str, ...]
    # Content terms: stemmed words without stop words, and character bigrams
    # for scripts written without spaces (repeats kept).
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sentence:
    index: int
    start: int
    end: int
    text: str
    paragraph: int


@dataclass(frozen=True, slots=True)
class Paragraph:
    index: int
    start: int
    end: int
    sentences: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Boilerplate:
    start: int
    end: int
    text: str
    kind: str


@dataclass(frozen=True, slots=True)
class Lead:
    """The article's own lead summary: standfirst, first paragraph or first sentences."""

    method: LeadMethod
    sentences: tuple[int, ...]
    text: str
    # A standfirst's own sentences, offsets into `text` (the comparison's indexes
    # for it); empty for a lead in the article, whose sentences are `sentences`.
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class Closing:
    """The article's closing summary: its last paragraph or last sentences."""

    method: ClosingMethod
    sentences: tuple[int, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Article:
    text: str
    language: str
    title: str | None
    headline: Span | None
    sentences: tuple[Sentence, ...]
    paragraphs: tuple[Paragraph, ...]
    lead: Lead
    closing: Closing | None
    boilerplate: tuple[Boilerplate, ...]
    # Each sentence's words, analysed once for TextRank, attribution and the comparison.
    words: tuple[TextWords, ...]
    standfirst_source: StandfirstSource | None = None  # where `lead` came from when a standfirst


@dataclass(frozen=True, slots=True)
class RankedSentence:
    sentence: int
    score: float
    rank: int


@dataclass(frozen=True, slots=True)
class Attribution:
    """An article sentence that supports a summary sentence, with how strongly (0-1)."""

    sentence: int
    score: float


@dataclass(frozen=True, slots=True)
class SentenceNli:
    """The NLI judge's verdict on a summary sentence (models.nli): its best premise block
    (article sentences `start_sentence`..`end_sentence`, both inclusive) and that pair's
    probabilities."""

    entailment: float
    contradiction: float | None  # None: the checkpoint has no contradiction class
    score: float  # entailment - contradiction (entailment alone without that class), in [-1, 1]
    start_sentence: int
    end_sentence: int


@dataclass(frozen=True, slots=True)
class SummaryNli:
    """A summary's SummaC-ZS verdict: per sentence, the mean and the min of their scores."""

    sentences: tuple[SentenceNli, ...]
    mean: float
    min: float
    pairs: int  # (block, sentence) pairs scored
    capped: bool  # True when max_pairs left some of the grid unscored


@dataclass(frozen=True, slots=True)
class ExtractedSentence:
    """A sentence of an extractive summary: an article sentence, so its own exact source."""

    text: str
    source_sentences: tuple[int, ...]
    start: int
    end: int
    attributions: tuple[Attribution, ...]
    support: float
    unsupported: tuple[str, ...]
    nli: SentenceNli | None = None  # with the NLI judge on


@dataclass(frozen=True, slots=True)
class ExtractiveSummary:
    status: EngineStatus
    text: str
    sentences: tuple[ExtractedSentence, ...]
    ranking: tuple[RankedSentence, ...]
    elapsed_ms: float
    nli: SummaryNli | None = None  # with the NLI judge on


@dataclass(frozen=True, slots=True)
class Rouge:
    """ROUGE F1 scores in [0, 1]."""

    rouge1: float
    rouge2: float
    rougeL: float  # noqa: N815 - the name ROUGE users know, and the API's field name


@dataclass(frozen=True, slots=True)
class Kept:
    """A lead (closing) sentence the summary covers: by which summary sentences, how fully."""

    sentence: int
    by: tuple[int, ...]
    score: float


@dataclass(frozen=True, slots=True)
class Added:
    """A summary sentence the lead (closing) lacks, and where in the article its support lies."""

    sentence: int
    support_in: SupportPlace


@dataclass(frozen=True, slots=True)
class Versus(Rouge):
    """A summary against the lead or the closing: ROUGE, and what it keeps, drops and adds.

    A `Rouge` still, so readers of the ROUGE figures alone read it unchanged.
    """

    kept: tuple[Kept, ...]
    dropped: tuple[int, ...]
    added: tuple[Added, ...]


@dataclass(frozen=True, slots=True)
class Position:
    """Shares of a summary's source sentences in the lead, the body and the closing."""

    lead: float
    body: float
    closing: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """A summary set against the article's own lead and closing."""

    vs_lead: Versus
    vs_closing: Versus | None
    position: Position


@dataclass(frozen=True, slots=True)
class GeneratedSentence:
    """A sentence of a generated summary; offsets are into the summary's text."""

    text: str
    start: int
    end: int
    attributions: tuple[Attribution, ...]
    support: float | None  # None until attributed
    unsupported: tuple[str, ...]
    nli: SentenceNli | None = None  # with the NLI judge on


@dataclass(frozen=True, slots=True)
class AbstractiveSummary:
    status: EngineStatus
    reason: str | None
    model: str | None
    text: str
    sentences: tuple[GeneratedSentence, ...]
    input_tokens: int | None
    truncated: bool | None
    input_sentences: tuple[int, ...]  # the article sentences the model saw
    elapsed_ms: float | None
    # The whole summary's support (models.faithfulness) and the signals it was made of.
    support: float | None = None  # None until attributed, and for an empty summary
    support_signals: tuple[str, ...] = ()
    nli: SummaryNli | None = None  # with the NLI judge on


@dataclass(frozen=True, slots=True)
class Summaries:
    textrank: ExtractiveSummary | None
    abstractive: AbstractiveSummary | None


@dataclass(frozen=True, slots=True)
class Comparisons:
    textrank: Comparison | None
    abstractive: Comparison | None
    lead_vs_closing: Versus | None  # the closing as the summary of the lead


@dataclass(frozen=True, slots=True)
class AttributionReport:
    """Any summary (an editor's, another system's) attributed to an article.

    The shape of `POST /v1/attribute`.
    """

    article: Article
    sentences: tuple[GeneratedSentence, ...]
    comparison: Comparison
    support: float | None = None  # the whole summary (models.faithfulness)
    support_signals: tuple[str, ...] = ()
    nli: SummaryNli | None = None  # with the NLI judge on


@dataclass(frozen=True, slots=True)
class Report:
    """Everything newsum says about one article: the shape of `POST /v1/summarize`."""

    article: Article
    summaries: Summaries
    comparison: Comparisons
    timings_ms: dict[str, float]  # per stage run: textrank, generation, attribution
