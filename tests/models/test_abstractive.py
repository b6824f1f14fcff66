"""The abstractive engine on tiny random BART and T5 checkpoints, through the production loader."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from newsum.models.abstractive.backends import STOPPABLE_DECODING
from newsum.models.abstractive.cancel import Cancellation
from newsum.models.abstractive.checkpoint import GenerationOverrides
from newsum.models.abstractive.engine import Seq2SeqEngine, UnavailableEngine, open_engine
from newsum.models.article import read_article
from newsum.models.errors import Cancelled, DeadlineExceeded, InvalidOption
from newsum.models.textrank import rank_sentences
from tests.tiny_models import SUMMARIZATION_DEFAULTS

SHORT = "Syria's minister visited Iraq on Friday. He met officials in Baghdad."


def test_loads_with_the_checkpoints_own_generation_defaults(bart_engine: Seq2SeqEngine) -> None:
    defaults = bart_engine.checkpoint.defaults
    assert defaults.num_beams == SUMMARIZATION_DEFAULTS["num_beams"]
    assert defaults.max_length == SUMMARIZATION_DEFAULTS["max_length"]
    assert defaults.no_repeat_ngram_size == 3
    assert bart_engine.checkpoint.prefix == ""
    assert bart_engine.checkpoint.max_input_tokens == 128


def test_generates_a_deterministic_summary_with_sentence_offsets(
    bart_engine: Seq2SeqEngine,
) -> None:
    article = read_article(SHORT)
    first = bart_engine.summarize(article)
    again = bart_engine.summarize(article)
    assert first.status == "ok"
    assert first.model == bart_engine.name
    assert first.text
    assert first.text == again.text
    for sentence in first.sentences:
        assert first.text[sentence.start : sentence.end] == sentence.text
    assert first.input_sentences == (0, 1)
    assert first.truncated is False
    assert first.input_tokens is not None
    assert first.input_tokens <= 128


def test_a_long_article_keeps_its_best_sentences_and_says_so(
    bart_engine: Seq2SeqEngine, sample_text: str
) -> None:
    article = read_article(sample_text)
    result = bart_engine.summarize(article)
    assert result.truncated is True
    assert result.input_tokens is not None
    assert result.input_tokens <= bart_engine.checkpoint.max_input_tokens
    seen = result.input_sentences
    assert list(seen) == sorted(set(seen))
    assert 0 < len(seen) < len(article.sentences)
    assert rank_sentences(article)[0].sentence in seen
    # What the model read is exactly those sentences, and it fits.
    model_input = bart_engine.prepare(article)
    assert model_input.text == " ".join(article.sentences[i].text for i in seen)
    assert len(bart_engine.checkpoint.tokenizer(model_input.text)["input_ids"]) <= 128


def test_a_batch_gives_each_article_its_own_summary(
    bart_engine: Seq2SeqEngine, sample_text: str
) -> None:
    articles = [read_article(SHORT), read_article(sample_text)]
    batch = bart_engine.summarize_batch(articles)
    alone = [bart_engine.summarize(a) for a in articles]
    assert [r.text for r in batch] == [r.text for r in alone]
    assert [r.input_tokens for r in batch] == [r.input_tokens for r in alone]
    assert batch[0].truncated is False
    assert batch[1].truncated is True


def test_t5_gets_its_task_prefix(tiny_t5: Path) -> None:
    engine = open_engine(str(tiny_t5))
    assert isinstance(engine, Seq2SeqEngine)
    assert engine.prepare(read_article(SHORT)).text.startswith("summarize: Syria's")
    result = engine.summarize(read_article(SHORT))
    assert result.status == "ok"
    assert result.text == engine.summarize(read_article(SHORT)).text


def test_overrides_change_generation_and_are_bounded(bart_engine: Seq2SeqEngine) -> None:
    article = read_article(SHORT)
    default = bart_engine.summarize(article)
    short = bart_engine.summarize(article, GenerationOverrides(min_length=3, max_length=4))
    assert 0 < len(short.text) < len(default.text)
    with pytest.raises(InvalidOption, match="num_beams must be between 1 and 8; given: 9"):
        bart_engine.summarize(article, GenerationOverrides(num_beams=9))
    with pytest.raises(InvalidOption, match="min_length must be between 0 and 10; given: 20"):
        bart_engine.summarize(article, GenerationOverrides(min_length=20, max_length=10))


class _CancelAfter(Cancellation):
    """Asks to stop at the n-th decoding-step check; counts the checks."""

    def __init__(self, steps: int) -> None:
        super().__init__()
        self.steps = steps
        self.checks = 0

    def should_stop(self) -> bool:
        self.checks += 1
        if self.checks >= self.steps:
            self.cancel()
        return super().should_stop()


@pytest.mark.parametrize("backend", ["ctranslate2", "torch"])
def test_cancellation_stops_greedy_generation_within_one_step(
    backend: str, tiny_bart: Path
) -> None:
    engine = open_engine(str(tiny_bart), backend=backend)
    assert isinstance(engine, Seq2SeqEngine)
    cancel = _CancelAfter(steps=3)
    overrides = GenerationOverrides(num_beams=1, min_length=20, max_length=24)
    with pytest.raises(Cancelled):
        engine.summarize(read_article(SHORT), overrides, cancel)
    # One check before decoding, two decoding steps (the second sees the flag and
    # stops the row), one check after: no step ran after the one that saw the flag.
    assert cancel.checks == 4


@pytest.mark.parametrize("backend", ["ctranslate2", "torch"])
def test_a_beam_search_stops_midway_only_where_models_says_so(
    backend: str, tiny_bart: Path
) -> None:
    """torch checks every beam step; CTranslate2's beam search, once started, runs to its end."""
    engine = open_engine(str(tiny_bart), backend=backend)
    assert isinstance(engine, Seq2SeqEngine)
    cancel = _CancelAfter(steps=3)
    overrides = GenerationOverrides(num_beams=2, min_length=20, max_length=24)
    if "beam_search" in STOPPABLE_DECODING[backend]:
        with pytest.raises(Cancelled):
            engine.summarize(read_article(SHORT), overrides, cancel)
        assert cancel.checks == 4
    else:
        # Checked before the search and after it: never in between, so it finished.
        assert engine.summarize(read_article(SHORT), overrides, cancel).status == "ok"
        assert cancel.checks == 2


def test_a_past_deadline_stops_before_generating(bart_engine: Seq2SeqEngine) -> None:
    with pytest.raises(DeadlineExceeded, match="within 0 s"):
        bart_engine.summarize(read_article(SHORT), cancel=Cancellation(timeout_s=0))


def test_an_uncached_hub_id_is_unavailable_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No cache, no network: unavailable within seconds, naming the fetch command."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    started = time.monotonic()
    engine = open_engine("sshleifer/distilbart-cnn-12-6", cache_dir=str(tmp_path))
    assert time.monotonic() - started < 5
    assert isinstance(engine, UnavailableEngine)
    assert engine.reason is not None
    assert "newsum fetch-model sshleifer/distilbart-cnn-12-6" in engine.reason
    summary = engine.summarize(read_article(SHORT))
    assert (summary.status, summary.model) == ("unavailable", "sshleifer/distilbart-cnn-12-6")


def test_a_missing_or_broken_folder_is_unavailable_with_the_reason(tmp_path: Path) -> None:
    missing = open_engine(str(tmp_path / "nowhere"))
    assert isinstance(missing, UnavailableEngine)
    assert "does not exist" in str(missing.reason)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"model_type": "bart", "d_model": "x"}))
    engine = open_engine(str(broken))
    assert isinstance(engine, UnavailableEngine)
    assert "could not be loaded" in str(engine.reason)


def test_none_turns_the_engine_off() -> None:
    engine = open_engine("none")
    assert isinstance(engine, UnavailableEngine)
    assert "NEWSUM_MODEL=none" in str(engine.reason)
