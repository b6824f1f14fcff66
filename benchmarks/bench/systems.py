"""The summarisers a benchmark runs side by side, each from an article to a summary.

Every system gets newsum's segmentation of the article (NLTK's punkt data,
which sumy's own parser needs, cannot be downloaded here) and picks the same
number of sentences; sumy and summa are optional and reported unavailable when
they are not installed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from newsum.models.terms import rouge_tokens
from newsum.models.textrank import summarize_textrank
from newsum.models.types import Article

_INSTALL_EXTRA = "pip install 'newsum[bench]'"


@dataclass(frozen=True)
class Output:
    text: str
    sources: tuple[int, ...] | None  # article sentences it was taken from, when known exactly


@dataclass(frozen=True)
class System:
    name: str
    run: Callable[[Article], Output] | None
    reason: str | None = None  # why it is unavailable


def lead(sentences: int) -> System:
    def run(article: Article) -> Output:
        chosen = tuple(range(min(sentences, len(article.sentences))))
        return Output(" ".join(article.sentences[i].text for i in chosen), chosen)

    return System(f"lead-{sentences}", run)


def newsum_textrank(sentences: int) -> System:
    def run(article: Article) -> Output:
        summary = summarize_textrank(article, sentences)
        return Output(summary.text, tuple(s.source_sentences[0] for s in summary.sentences))

    return System("newsum textrank", run)


def newsum_abstractive(model: str) -> System:
    from newsum.models.abstractive.engine import Seq2SeqEngine, open_engine

    engine = open_engine(model)
    if not isinstance(engine, Seq2SeqEngine):
        return System("newsum abstractive", None, engine.reason)

    def run(article: Article) -> Output:
        return Output(engine.summarize(article).text, None)

    return System(f"newsum abstractive ({engine.name})", run)


def sumy_systems(sentences: int) -> list[System]:
    try:
        from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
        from sumy.nlp.stemmers import Stemmer
        from sumy.summarizers.lex_rank import LexRankSummarizer
        from sumy.summarizers.text_rank import TextRankSummarizer
        from sumy.utils import get_stop_words
    except ImportError:
        reason = f"sumy is not installed (the bench extra: {_INSTALL_EXTRA})"
        return [System("sumy textrank", None, reason), System("sumy lexrank", None, reason)]

    class _Words:
        """sumy's tokenizer interface without NLTK's punkt (which needs a download)."""

        language = "english"

        @staticmethod
        def to_words(text: str) -> list[str]:
            return rouge_tokens(text)

    def adapter(summarizer: object) -> Callable[[Article], Output]:
        summarizer.stop_words = get_stop_words("english")  # type: ignore[attr-defined]

        def run(article: Article) -> Output:
            tokenizer = _Words()
            sentences_ = [Sentence(s.text, tokenizer) for s in article.sentences]
            document = ObjectDocumentModel([Paragraph(sentences_)])
            picked = {str(s) for s in summarizer(document, sentences)}  # type: ignore[operator]
            chosen = tuple(i for i, s in enumerate(article.sentences) if s.text in picked)
            return Output(" ".join(article.sentences[i].text for i in chosen), chosen)

        return run

    return [
        System("sumy textrank", adapter(TextRankSummarizer(Stemmer("english")))),
        System("sumy lexrank", adapter(LexRankSummarizer(Stemmer("english")))),
    ]


def summa_system(sentences: int) -> System:
    try:
        from summa import summarizer as summa_summarizer
    except ImportError:
        return System("summa", None, f"summa is not installed (the bench extra: {_INSTALL_EXTRA})")

    def run(article: Article) -> Output:
        # summa splits sentences itself; one of ours per line keeps its splits ours.
        ranked = summa_summarizer.summarize(
            "\n".join(s.text for s in article.sentences), ratio=1.0, split=True, scores=True
        )
        best = sorted(range(len(ranked)), key=lambda i: -ranked[i][1])[:sentences]
        return Output(" ".join(ranked[i][0] for i in sorted(best)), None)

    return System("summa", run)
