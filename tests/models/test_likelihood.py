"""The served model's log-likelihood of a summary (models.abstractive.likelihood), on both
backends: real tokenizers with tiny random weights, so the wiring and arithmetic are held,
not the judgement (no real summariser weights here)."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from newsum.models.abstractive.cancel import Cancellation
from newsum.models.abstractive.checkpoint import GenerationOverrides
from newsum.models.abstractive.engine import Seq2SeqEngine, open_engine
from newsum.models.abstractive.likelihood import token_limit
from newsum.models.article import read_article
from newsum.models.errors import Cancelled
from newsum.models.types import Article

BACKENDS = ("ctranslate2", "torch")
# Greedy, no repeated token: the random model's argmax tokens, each different, so that
# shuffling them changes the sequence.
GREEDY = GenerationOverrides(num_beams=1, min_length=20, max_length=30, no_repeat_ngram_size=1)


def _engine(folder: Path, backend: str) -> Seq2SeqEngine:
    engine = open_engine(str(folder), backend=backend)
    assert isinstance(engine, Seq2SeqEngine), getattr(engine, "reason", None)
    return engine


@pytest.fixture(scope="module")
def hub_engines(hub_bart: Path) -> dict[str, Seq2SeqEngine]:
    """distilbart-cnn's real tokenizer (decoded text encodes back to the same tokens)."""
    return {backend: _engine(hub_bart, backend) for backend in BACKENDS}


@pytest.fixture(scope="module")
def article(sample_text: str) -> Article:
    return read_article(sample_text)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_models_own_greedy_output_scores_higher_than_it_shuffled(
    hub_engines: dict[str, Seq2SeqEngine], article: Article, backend: str
) -> None:
    engine = hub_engines[backend]
    own = engine.summarize(article, GREEDY).text
    tokenizer = engine.checkpoint.tokenizer
    tokens = tokenizer(own, add_special_tokens=False)["input_ids"]
    assert len(set(tokens)) > 10, "the test needs varied tokens to mean anything"
    for seed in range(3):
        shuffled = list(tokens)
        random.Random(seed).shuffle(shuffled)
        own_score = engine.likelihood(article, [own]).summary
        shuffled_score = engine.likelihood(article, [tokenizer.decode(shuffled)]).summary
        assert own_score is not None
        assert shuffled_score is not None
        assert own_score > shuffled_score


@pytest.mark.parametrize("family", ["tiny_bart", "tiny_t5", "hub_pegasus"])
def test_both_backends_give_the_same_scores(
    family: str, article: Article, request: pytest.FixtureRequest
) -> None:
    """CTranslate2's score_batch against torch's forward pass, sentence by sentence."""
    folder = request.getfixturevalue(family)
    sentences = [
        "Syria's foreign minister met his Iraqi counterpart in Baghdad.",
        "Officials said the two countries agreed to share intelligence.",
    ]
    fast, reference = (
        _engine(folder, backend).likelihood(article, sentences) for backend in BACKENDS
    )
    assert fast.scored_tokens == reference.scored_tokens > 10
    assert fast.summary == pytest.approx(reference.summary, abs=1e-3)
    assert fast.sentences == pytest.approx(reference.sentences, abs=1e-3)


def test_a_sentence_scores_the_mean_of_its_tokens_and_the_summary_of_all_tokens(
    bart_engine: Seq2SeqEngine, article: Article
) -> None:
    """Length-normalised: a sentence's score is its tokens' mean log-probability, so a
    longer sentence is not marked down for its length alone; the summary's weighs tokens."""
    engine = bart_engine
    tokenizer = engine.checkpoint.tokenizer
    first, second = "The minister arrived in Baghdad.", "He met officials."
    judged = engine.likelihood(article, [first, second])
    # The same labels scored by hand: <s> first second </s> (BART), without the specials.
    source = tokenizer(engine.prepare(article).text)["input_ids"]
    first_ids = tokenizer(first, add_special_tokens=False)["input_ids"]
    second_ids = tokenizer(" " + second, add_special_tokens=False)["input_ids"]
    labels = [tokenizer.bos_token_id, *first_ids, *second_ids, tokenizer.eos_token_id]
    (log_probs,) = engine.generator.score([source], [labels])
    by_hand = log_probs[1 : 1 + len(first_ids)], log_probs[1 + len(first_ids) : -1]
    assert judged.sentences == pytest.approx([sum(p) / len(p) for p in by_hand])
    assert judged.summary == pytest.approx(sum(log_probs[1:-1]) / (len(log_probs) - 2))
    assert judged.scored_tokens == len(first_ids) + len(second_ids)
    assert all(score is not None and score < 0 for score in judged.sentences)


def test_a_longer_greedy_output_is_not_marked_down_for_its_length(
    hub_engines: dict[str, Seq2SeqEngine], article: Article
) -> None:
    engine = hub_engines["torch"]
    shorter = GenerationOverrides(num_beams=1, min_length=8, max_length=10, no_repeat_ngram_size=1)
    short = engine.summarize(article, shorter)
    long = engine.summarize(article, GREEDY)
    assert long.text.startswith(short.text[:10]), "the longer greedy output extends the shorter"
    short_judged, long_judged = (engine.likelihood(article, [s.text]) for s in (short, long))
    assert long_judged.scored_tokens >= 2 * short_judged.scored_tokens
    assert short_judged.summary is not None
    assert long_judged.summary is not None
    # The sums differ by the length; the means by far less than a token's log-probability.
    assert abs(long_judged.summary - short_judged.summary) < 0.1 * abs(short_judged.summary)


def test_an_over_long_summary_is_scored_up_to_the_bound(
    bart_engine: Seq2SeqEngine, article: Article
) -> None:
    limit = token_limit(bart_engine.checkpoint)
    assert limit == 128, "the tiny BART has 128 decoder positions, fewer than the 512 bound"
    sentences = [f"The minister met official number {i} in Baghdad on Friday." for i in range(60)]
    judged = bart_engine.likelihood(article, sentences)
    assert judged.truncated
    assert len(judged.sentences) == len(sentences)
    assert 100 < judged.scored_tokens <= limit - 2  # <s> and </s> take two of the positions
    assert judged.sentences[0] is not None
    assert judged.sentences[-1] is None  # past the bound: not scored
    scored = [s for s in judged.sentences if s is not None]
    assert all(math.isfinite(s) for s in scored)
    assert judged.sentences[len(scored) :] == (None,) * (len(sentences) - len(scored))


def test_an_empty_summary_is_not_scored(bart_engine: Seq2SeqEngine, article: Article) -> None:
    judged = bart_engine.likelihood(article, [])
    assert judged.summary is None
    assert judged.sentences == ()
    assert judged.scored_tokens == 0


def test_a_stopped_request_is_not_scored(bart_engine: Seq2SeqEngine, article: Article) -> None:
    cancel = Cancellation()
    cancel.cancel()
    with pytest.raises(Cancelled):
        bart_engine.likelihood(article, ["The minister arrived."], cancel)


def test_pegasus_sentences_are_joined_by_its_newline_piece(
    hub_pegasus: Path, article: Article
) -> None:
    """The `<n>` piece PEGASUS writes between sentences is in the target, not in any score."""
    engine = _engine(hub_pegasus, "torch")
    tokenizer = engine.checkpoint.tokenizer
    sentences = ["The minister arrived.", "He met officials."]
    first, second = (tokenizer(s, add_special_tokens=False)["input_ids"] for s in sentences)
    newline = tokenizer.convert_tokens_to_ids("<n>")
    labels = [*first, newline, *second, tokenizer.eos_token_id]
    source = tokenizer(engine.prepare(article).text)["input_ids"]
    (log_probs,) = engine.generator.score([source], [labels])
    judged = engine.likelihood(article, sentences)
    expected = (log_probs[: len(first)], log_probs[len(first) + 1 : -1])
    assert judged.sentences == pytest.approx([sum(p) / len(p) for p in expected])
    assert judged.scored_tokens == len(first) + len(second)
