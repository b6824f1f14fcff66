"""The abstractive engine: prepare (fit the input) -> run (generate) -> finish (decode, split).

The split follows the transformers pipelines' preprocess / _forward /
postprocess, without the pipeline (gone in transformers v5). Family quirks of
the output are the finish stage's: special tokens (BART's leading `<s>`) are
dropped and the text trimmed, and PEGASUS's `<n>` piece is a sentence break, so
the text, the sentence split and attribution all see sentences, never "<n>".
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from newsum.models.abstractive.backends import (
    DEFAULT_BACKEND,
    DEFAULT_COMPUTE_TYPE,
    Generator,
    TokenObserver,
    open_generator,
)
from newsum.models.abstractive.cancel import Cancellation
from newsum.models.abstractive.checkpoint import (
    MODEL_OFF,
    Checkpoint,
    GenerationOverrides,
    GenerationSettings,
    load_checkpoint,
)
from newsum.models.abstractive.interface import unavailable
from newsum.models.abstractive.languages import UNKNOWN_SCOPE, LanguageScope
from newsum.models.abstractive.likelihood import SummaryLikelihood, likelihood
from newsum.models.abstractive.model_input import ModelInput, fit_article
from newsum.models.abstractive.streaming import SentenceObserver, SentenceTracker
from newsum.models.errors import ModelUnavailable, NewsumError
from newsum.models.segment import split_paragraphs, split_sentences
from newsum.models.types import AbstractiveSummary, Article, GeneratedSentence

# Characters after which a sentence splitter may end a sentence: Latin, CJK, Arabic and
# Devanagari full stops, question and exclamation marks, the ellipsis, a line break.
_SENTENCE_END_CHARACTERS = frozenset(".!?…。！？؟।\n")


class Seq2SeqEngine:
    """Summaries from one checkpoint on one backend.

    Not thread-safe, on purpose: neither the backends nor a fast tokenizer
    (whose truncation state is shared: "Already borrowed") are documented as
    safe for concurrent use, and two generations at once on 2 cores only slow
    each other down. The service gives each engine one owner thread, which
    batches instead (service.runtime.owner).
    """

    status = "ok"

    def __init__(
        self, checkpoint: Checkpoint, generator: Generator, scope: LanguageScope | None = None
    ) -> None:
        self.checkpoint = checkpoint
        self.generator = generator
        self._ends: dict[int, bool] = {}  # token id -> may end a sentence (streaming)
        # The languages it serves: configured, else its model card's (models.abstractive.languages).
        self.scope = scope or checkpoint.languages

    @property
    def name(self) -> str:
        return self.checkpoint.name

    @property
    def reason(self) -> str | None:
        return None

    def summarize(
        self,
        article: Article,
        options: GenerationOverrides | None = None,
        cancel: Cancellation | None = None,
    ) -> AbstractiveSummary:
        (result,) = self.summarize_batch([article], options, [cancel or Cancellation()])
        if isinstance(result, NewsumError):
            raise result
        return result

    def summarize_batch(
        self,
        articles: Sequence[Article],
        options: GenerationOverrides | None = None,
        cancels: Sequence[Cancellation] | None = None,
    ) -> list[AbstractiveSummary | NewsumError]:
        """Summaries of several articles from one padded generation (throughput).

        Each article may have its own Cancellation; a stopped one gets its
        error (Cancelled or DeadlineExceeded) in its place, the others their summary.
        """
        settings = (options or GenerationOverrides()).apply(self.checkpoint.defaults)
        cancels = list(cancels) if cancels is not None else [Cancellation() for _ in articles]
        started = time.perf_counter()
        # Prepare: choose what each model input holds, within the model's limit.
        inputs = [self.prepare(article) for article in articles]
        # Run: the hot path, stoppable between decoding steps, row by row.
        outputs = self.run([i.text for i in inputs], settings, cancels)
        # Finish: one summary per article, decoded and split into sentences with offsets.
        elapsed_ms = (time.perf_counter() - started) * 1000
        results: list[AbstractiveSummary | NewsumError] = []
        for article, model_input, ids, cancel in zip(
            articles, inputs, outputs, cancels, strict=True
        ):
            if ids is None:
                results.append(cancel.stop_error())
            else:
                results.append(self.finish(article, model_input, ids, elapsed_ms))
        return results

    def likelihood(
        self, article: Article, sentences: Sequence[str], cancel: Cancellation | None = None
    ) -> SummaryLikelihood:
        """How likely this model finds each summary sentence given `article` (BARTScore)."""
        return likelihood(self.checkpoint, self.generator, article, sentences, cancel)

    def prepare(self, article: Article) -> ModelInput:
        c = self.checkpoint
        return fit_article(article, c.tokenizer, c.prefix, c.max_input_tokens)

    def summarize_streaming(
        self,
        article: Article,
        options: GenerationOverrides | None,
        cancel: Cancellation,
        on_sentence: SentenceObserver,
    ) -> AbstractiveSummary | NewsumError:
        """One summary (a batch of one) whose sentences go to `on_sentence` as each is complete.

        Greedy decoding hands over each sentence once a later one has started;
        beam search, whose tokens are final only at its end, all of them then.
        Either way the sentences handed over are the summary's own split.
        """
        settings = (options or GenerationOverrides()).apply(self.checkpoint.defaults)
        started = time.perf_counter()
        model_input = self.prepare(article)
        tracker = SentenceTracker(
            lambda ids: self.decode(ids, article.language)[1], on_sentence, self._might_end
        )
        try:
            (ids,) = self.run([model_input.text], settings, [cancel], tracker.see)
        finally:
            # CTranslate2 may free its step callback later, on its own worker thread:
            # were that the engine's last reference, the translator's destructor would
            # join the very thread it runs on (std::terminate). The callback lets go here.
            tracker.detach()
        if ids is None:
            return cancel.stop_error()
        summary = self.finish(article, model_input, ids, (time.perf_counter() - started) * 1000)
        tracker.finish(summary.sentences)
        return summary

    def run(
        self,
        texts: list[str],
        settings: GenerationSettings,
        cancels: list[Cancellation],
        on_tokens: TokenObserver | None = None,
    ) -> list[list[int] | None]:
        c = self.checkpoint
        if all(cancel.should_stop() for cancel in cancels):  # all gone while preparing
            return [None for _ in texts]
        batch = c.tokenizer(texts, truncation=True, max_length=c.max_input_tokens)["input_ids"]
        return self.generator.generate(batch, settings, cancels, on_tokens)

    def finish(
        self, article: Article, model_input: ModelInput, ids: Sequence[int], elapsed_ms: float
    ) -> AbstractiveSummary:
        text, sentences = self.decode(ids, article.language)
        return AbstractiveSummary(
            status="ok",
            reason=None,
            model=self.name,
            text=text,
            sentences=sentences,
            input_tokens=model_input.input_tokens,
            truncated=model_input.truncated,
            input_sentences=model_input.sentences,
            elapsed_ms=elapsed_ms,
        )

    def _might_end(self, token: int) -> bool:
        """Whether `token`'s text holds a character that can end a sentence (streaming's gate)."""
        known = self._ends.get(token)
        if known is None:
            c = self.checkpoint
            text = c.tokenizer.decode([token], skip_special_tokens=True)
            known = self._ends[token] = bool(_SENTENCE_END_CHARACTERS.intersection(text)) or (
                c.sentence_mark is not None and c.sentence_mark in text
            )
        return known

    def decode(
        self, ids: Sequence[int], language: str
    ) -> tuple[str, tuple[GeneratedSentence, ...]]:
        """The summary text of generated `ids` and its sentences, each with its offsets."""
        c = self.checkpoint
        # Special tokens go (BART's decoder start </s> and forced <s>, padding, </s>).
        decoded = c.tokenizer.decode(list(ids), skip_special_tokens=True)
        # PEGASUS's "<n>" ends a sentence: its pieces are joined by a space.
        pieces = decoded.split(c.sentence_mark) if c.sentence_mark else [decoded]
        pieces = [piece.strip() for piece in pieces if piece.strip()]
        text = " ".join(pieces)
        sentences: list[GeneratedSentence] = []
        offset = 0
        for piece in pieces:
            # Attribution to article sentences happens later (models.summarize).
            sentences += [
                GeneratedSentence(
                    piece[s:e],
                    offset + s,
                    offset + e,
                    attributions=(),
                    support=None,
                    unsupported=(),
                )
                for p_start, p_end in split_paragraphs(piece)
                for s, e in split_sentences(piece, p_start, p_end, language)
            ]
            offset += len(piece) + 1
        return text, tuple(sentences)


class UnavailableEngine:
    """Stands in for a model that cannot serve, and says why and what to do."""

    status = "unavailable"

    def __init__(self, name: str, reason: str, scope: LanguageScope = UNKNOWN_SCOPE) -> None:
        self.name = name
        self.reason: str | None = reason
        self.scope = scope  # the configured one; a card unread says nothing

    def summarize(
        self,
        article: Article,
        options: GenerationOverrides | None = None,
        cancel: Cancellation | None = None,
    ) -> AbstractiveSummary:
        # Nameless: no model was chosen (models.abstractive.routing found none for the language).
        return unavailable(self.reason or "unavailable", self.name or None)

    def summarize_batch(
        self,
        articles: Sequence[Article],
        options: GenerationOverrides | None = None,
        cancels: Sequence[Cancellation] | None = None,
    ) -> list[AbstractiveSummary | NewsumError]:
        return [self.summarize(article) for article in articles]


def open_engine(
    name: str,
    *,
    backend: str = DEFAULT_BACKEND,
    compute_type: str = DEFAULT_COMPUTE_TYPE,
    threads: int | None = None,
    cache_dir: str | None = None,
    languages: LanguageScope | None = None,
) -> Seq2SeqEngine | UnavailableEngine:
    """The engine for `name` on `backend`, or a stand-in that reports why it cannot serve.

    `languages`: the operator's scope for it, which replaces its model card's.
    """
    if name.strip().lower() == MODEL_OFF:
        return UnavailableEngine(MODEL_OFF, "the abstractive engine is off (NEWSUM_MODEL=none)")
    try:
        checkpoint = load_checkpoint(name, cache_dir=cache_dir)
        generator = open_generator(checkpoint, backend, compute_type, threads)
        return Seq2SeqEngine(checkpoint, generator, languages)
    except ModelUnavailable as error:
        return UnavailableEngine(name, error.message, languages or UNKNOWN_SCOPE)
