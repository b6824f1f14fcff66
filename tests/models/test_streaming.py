"""Sentence-by-sentence generation (models.abstractive.streaming) on the tiny random BART."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsum.models.abstractive import streaming
from newsum.models.abstractive.cancel import Cancellation
from newsum.models.abstractive.checkpoint import GenerationOverrides
from newsum.models.abstractive.engine import Seq2SeqEngine, open_engine
from newsum.models.abstractive.streaming import SentenceTracker, summarize_streaming
from newsum.models.article import read_article
from newsum.models.errors import Cancelled
from newsum.models.types import AbstractiveSummary, Article, GeneratedSentence
from tests.fakes import SlowEngine

# Greedy and long enough for the random model to write more than one sentence.
GREEDY = GenerationOverrides(num_beams=1, min_length=10, max_length=120)
BEAM = GenerationOverrides(num_beams=2, min_length=10, max_length=120)


@pytest.fixture(scope="module", params=["ctranslate2", "torch"])
def engine(request: pytest.FixtureRequest, tiny_bart: Path) -> Seq2SeqEngine:
    opened = open_engine(str(tiny_bart), backend=request.param, compute_type="float32")
    assert isinstance(opened, Seq2SeqEngine), getattr(opened, "reason", None)
    return opened


@pytest.fixture(scope="module")
def article(sample_text: str) -> Article:
    return read_article(sample_text)


def _stream(
    engine: Seq2SeqEngine,
    article: Article,
    options: GenerationOverrides,
    monkeypatch: pytest.MonkeyPatch,
    cancel: Cancellation | None = None,
) -> tuple[AbstractiveSummary | Exception, list[GeneratedSentence | str]]:
    """The outcome, and what happened in order: each sentence handed over, and "end"
    where the generation ended (the tracker's finish)."""
    events: list[GeneratedSentence | str] = []
    finish = SentenceTracker.finish

    def marked_finish(self: SentenceTracker, final: tuple[GeneratedSentence, ...]) -> None:
        events.append("end")
        finish(self, final)

    monkeypatch.setattr(SentenceTracker, "finish", marked_finish)
    outcome = engine.summarize_streaming(article, options, cancel or Cancellation(), events.append)
    return outcome, events


def test_greedy_sentences_arrive_during_generation_and_equal_the_final_split(
    engine: Seq2SeqEngine, article: Article, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome, events = _stream(engine, article, GREEDY, monkeypatch)
    whole = engine.summarize(article, GREEDY)
    assert isinstance(outcome, AbstractiveSummary)
    assert len(whole.sentences) >= 2, "the test needs a summary of several sentences"
    # Every sentence of the JSON path's summary, in order, and nothing else.
    assert [e for e in events if e != "end"] == list(whole.sentences)
    assert outcome.sentences == whole.sentences
    # The first one before the generation ended: it was streamed, not handed over at the end.
    assert events[0] != "end"


def test_beam_search_hands_over_its_sentences_when_it_ends(
    engine: Seq2SeqEngine, article: Article, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome, events = _stream(engine, article, BEAM, monkeypatch)
    assert isinstance(outcome, AbstractiveSummary)
    assert events[0] == "end"
    assert events[1:] == list(engine.summarize(article, BEAM).sentences)


def test_a_cancel_after_the_first_sentence_stops_the_generation(
    engine: Seq2SeqEngine, article: Article
) -> None:
    cancel = Cancellation()
    handed: list[GeneratedSentence] = []

    def hang_up(sentence: GeneratedSentence) -> None:
        handed.append(sentence)
        cancel.cancel()

    outcome = engine.summarize_streaming(article, GREEDY, cancel, hang_up)
    assert isinstance(outcome, Cancelled)
    assert len(handed) == 1


def test_a_sentence_is_handed_over_only_once_it_has_settled() -> None:
    """A split that changes with the next token (an abbreviation's period) waits for it."""

    def sentence(text: str, start: int) -> GeneratedSentence:
        return GeneratedSentence(text, start, start + len(text), (), None, ())

    splits = {
        1: [sentence("He went to St.", 0), sentence("L", 15)],  # looks like two...
        2: [sentence("He went to St. Louis.", 0)],  # ...but was one
        3: [sentence("He went to St. Louis.", 0), sentence("It", 22)],
        4: [sentence("He went to St. Louis.", 0), sentence("It rained.", 22)],
    }
    handed: list[GeneratedSentence] = []
    tracker = SentenceTracker(lambda ids: splits[len(ids)], handed.append)
    for step in range(1, 4):
        tracker.see(0, list(range(step)))
        assert handed == []
    tracker.see(0, list(range(4)))
    assert handed == [splits[4][0]]
    tracker.finish(splits[4])
    assert handed == splits[4]


def test_the_split_is_only_looked_at_near_a_possible_sentence_end() -> None:
    """No token that can end a sentence among the last few: no decode and split that step."""
    first = GeneratedSentence("It rained.", 0, 10, (), None, ())
    second = GeneratedSentence("Then", 11, 15, (), None, ())
    splits: list[int] = []

    def split(ids: list[int]) -> list[GeneratedSentence]:
        splits.append(len(ids))
        return [first, second] if len(ids) >= 3 else [first]

    handed: list[GeneratedSentence] = []
    period = 7  # the only token that may end a sentence
    tracker = SentenceTracker(split, handed.append, lambda token: token == period)
    for ids in ([1], [1, 2], [1, period], [1, period, 3], [1, period, 3, 4]):
        tracker.see(0, ids)
    assert splits == [2, 3, 4]  # not before the period
    assert handed == [first]  # complete at 3 tokens, settled at 4
    for length in range(5, 12):  # once the period is 4 tokens back, nothing waiting: no split
        tracker.see(0, [1, period, 3, 4, *range(10, 10 + length - 4)])
    assert splits == [2, 3, 4, 5]


def test_an_engine_that_cannot_stream_hands_its_sentences_over_at_the_end(
    article: Article,
) -> None:
    handed: list[GeneratedSentence] = []
    outcome = summarize_streaming(SlowEngine(steps=1, step_s=0), article, None, Cancellation(),
                                  handed.append)  # fmt: skip
    assert isinstance(outcome, AbstractiveSummary)
    assert handed
    assert handed == list(outcome.sentences)


def test_greedy_streams_sentences_and_beam_search_at_the_end() -> None:
    assert streaming.streams(1) == "sentences"
    assert streaming.streams(4) == "at_end"


def test_an_error_while_watching_tokens_is_raised_not_a_crash(engine: Seq2SeqEngine) -> None:
    """On CTranslate2 the observer runs on its C++ worker thread: the error comes back here."""

    def broken(row: int, ids: list[int]) -> None:
        raise ValueError("observer failed")

    settings = GREEDY.apply(engine.checkpoint.defaults)
    batch = engine.checkpoint.tokenizer(["Syria's minister visited Iraq."])["input_ids"]
    with pytest.raises(ValueError, match="observer failed"):
        engine.generator.generate(batch, settings, [Cancellation()], broken)
