"""The NLI judge (SummaC-ZS) on tiny random BERT, RoBERTa and DeBERTa-v2 classifiers,
loaded through the production loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newsum.models.abstractive.cancel import Cancellation
from newsum.models.article import read_article
from newsum.models.errors import (
    Cancelled,
    DeadlineExceeded,
    EmptyInput,
    InputTooLong,
    ModelUnavailable,
)
from newsum.models.nli import (
    DEFAULT_MAX_LENGTH,
    NliLabelsRefused,
    NliModel,
    SummaryNli,
    load_nli_model,
    support_from_nli,
)
from newsum.models.nli.labels import read_labels
from newsum.models.nli.pairs import Pair, choose_pairs, cut_blocks
from tests.tiny_models import MNLI_LABELS, build_tiny_nli, with_labels

ARTICLE = (
    "Syria's interim foreign minister visited Baghdad on Friday. "
    "He met Iraq's prime minister and its foreign minister. "
    "The two sides discussed border security and trade. "
    "Iraq reopened a border crossing last month. "
    "Trucks carried food across it on Thursday."
)
SUMMARY = (
    "Syria's foreign minister visited Baghdad.",
    "Trucks carried food on Thursday.",
    "Iraq closed the border crossing to trade.",
)
# Every window of two sentences fits the tiny models' 128 tokens: blocks (0, 1) .. (3, 4).
BLOCKS = [(0, 1), (1, 2), (2, 3), (3, 4)]
# (entailment, contradiction) outputs of each checkpoint, read off its labels by hand.
OUTPUTS = {
    "bert": (0, 2),
    "roberta": (0, 2),
    "deberta-v2": (0, 2),
    "bert-reversed": (2, 0),
    "deberta-two-labels": (0, None),
}


@pytest.fixture(scope="module")
def checkpoints(
    tmp_path_factory: pytest.TempPathFactory, sample_text: str, newsroom_rows: list[dict[str, str]]
) -> dict[str, Path]:
    corpus = [*sample_text.splitlines(), *(row["article"] for row in newsroom_rows), ARTICLE]
    folder = tmp_path_factory.mktemp("nli")
    built = {family: build_tiny_nli(folder / family, family, corpus)
             for family in ("bert", "roberta", "deberta-v2")}  # fmt: skip
    built["bert-reversed"] = with_labels(
        built["bert"], folder / "bert-reversed", tuple(reversed(MNLI_LABELS))
    )
    built["deberta-two-labels"] = build_tiny_nli(
        folder / "two", "deberta-v2", corpus, labels=("Entailment", "not_entailment")
    )
    built["unlabelled"] = build_tiny_nli(folder / "unlabelled", "bert", corpus, labels=None)
    built["sentiment"] = with_labels(built["bert"], folder / "sentiment", ("positive", "negative"))
    return built


@pytest.fixture(scope="module")
def judges(checkpoints: dict[str, Path]) -> dict[str, NliModel]:
    return {name: load_nli_model(str(checkpoints[name])) for name in OUTPUTS}


def _judge(model: NliModel, text: str = ARTICLE, **options: Any) -> SummaryNli:
    settings = {"max_pairs": 100, "batch_size": 3, **options}
    return model.judge(read_article(text), SUMMARY, **settings)


@pytest.mark.parametrize(
    ("labels", "entailment", "contradiction"),
    [
        (["entailment", "neutral", "contradiction"], 0, 2),
        (["CONTRADICTION", "Neutral", "ENTAILMENT"], 2, 0),
        (["neutral", "contradiction", "entailment"], 2, 1),
        (["entailment", "not_entailment"], 0, None),
        (["non-entailment", "Entailment"], 1, None),
    ],
)
def test_reads_nli_labels_in_any_order_and_case(
    labels: list[str], entailment: int, contradiction: int | None
) -> None:
    read = read_labels("m", {str(i): label for i, label in enumerate(labels)})
    assert (read.entailment, read.contradiction) == (entailment, contradiction)
    assert read.names == tuple(labels)


@pytest.mark.parametrize(
    "labels",
    [
        ["LABEL_0", "LABEL_1"],
        ["positive", "negative"],
        ["entailment", "neutral", "contradiction", "other"],
        ["entailment", "entailment", "contradiction"],
        ["entailment", "neutral"],
    ],
)
def test_refuses_label_sets_that_are_not_nli_and_names_them(labels: list[str]) -> None:
    with pytest.raises(NliLabelsRefused) as refused:
        read_labels("some/model", dict(enumerate(labels)))
    assert refused.value.labels == tuple(labels)
    assert all(repr(label) in refused.value.message for label in labels)


@pytest.mark.parametrize(("name", "labels"), [("unlabelled", "'LABEL_0', 'LABEL_1', 'LABEL_2'"),
                                              ("sentiment", "'positive', 'negative'")])  # fmt: skip
def test_loading_refuses_a_checkpoint_without_an_entailment_label(
    checkpoints: dict[str, Path], name: str, labels: str
) -> None:
    with pytest.raises(NliLabelsRefused, match=labels) as refused:
        load_nli_model(str(checkpoints[name]))
    assert isinstance(refused.value, ModelUnavailable)


def test_a_missing_folder_or_an_uncached_hub_id_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="does not exist"):
        load_nli_model(str(tmp_path / "nowhere") + "/")
    with pytest.raises(ModelUnavailable, match="not in the local Hugging Face cache"):
        load_nli_model("nobody/no-such-nli-model", cache_dir=str(tmp_path))


@pytest.mark.parametrize("name", list(OUTPUTS))
def test_scores_equal_a_hand_computation_from_the_models_own_logits(
    name: str, checkpoints: dict[str, Path], judges: dict[str, NliModel]
) -> None:
    """Each pair on its own (no padding), softmax, the label's output picked by hand."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(checkpoints[name])
    model = AutoModelForSequenceClassification.from_pretrained(checkpoints[name]).eval()
    entail, contradict = OUTPUTS[name]
    sentences = read_article(ARTICLE).sentences
    expected = []
    for hypothesis in SUMMARY:
        verdicts = []
        for start, end in BLOCKS:
            premise = " ".join(s.text for s in sentences[start : end + 1])
            with torch.no_grad():
                logits = model(**tokenizer(premise, hypothesis, return_tensors="pt")).logits
            p = logits.softmax(-1)[0].tolist()
            con = None if contradict is None else p[contradict]
            verdicts.append((p[entail] - (con or 0.0), p[entail], con, start, end))
        expected.append(max(verdicts, key=lambda v: v[0]))

    judged = _judge(judges[name])
    assert judged.pairs == len(BLOCKS) * len(SUMMARY)
    assert judged.capped is False
    for verdict, (score, entailment, contradiction, start, end) in zip(
        judged.sentences, expected, strict=True
    ):
        assert (verdict.start_sentence, verdict.end_sentence) == (start, end)
        assert verdict.score == pytest.approx(score, abs=1e-5)
        assert verdict.entailment == pytest.approx(entailment, abs=1e-5)
        if contradiction is None:
            assert verdict.contradiction is None
        else:
            assert verdict.contradiction == pytest.approx(contradiction, abs=1e-5)
    scores = [e[0] for e in expected]
    assert judged.mean == pytest.approx(sum(scores) / len(scores), abs=1e-5)
    assert judged.min == pytest.approx(min(scores), abs=1e-5)


def test_reversed_labels_on_the_same_weights_swap_entailment_and_contradiction(
    judges: dict[str, NliModel],
) -> None:
    """One block only (two sentences), so each sentence's verdict is the same pair's."""
    text = "Syria's minister visited Baghdad on Friday. He met Iraq's prime minister."
    mnli, reversed_ = _judge(judges["bert"], text), _judge(judges["bert-reversed"], text)
    assert judges["bert-reversed"].labels == tuple(reversed(MNLI_LABELS))
    for straight, swapped in zip(mnli.sentences, reversed_.sentences, strict=True):
        assert swapped.entailment == pytest.approx(straight.contradiction)
        assert swapped.contradiction == pytest.approx(straight.entailment)
        assert swapped.score == pytest.approx(-straight.score)
        assert straight.entailment != pytest.approx(straight.contradiction)


def test_a_two_label_model_scores_entailment_alone_and_reports_no_contradiction(
    judges: dict[str, NliModel],
) -> None:
    judged = _judge(judges["deberta-two-labels"])
    assert judges["deberta-two-labels"].has_contradiction is False
    assert all(v.contradiction is None and v.score == v.entailment for v in judged.sentences)


def test_blocks_are_two_sentence_windows_falling_back_to_one_where_two_do_not_fit() -> None:
    assert cut_blocks([10, 10, 10, 10], budget=30) == [(0, 1), (1, 2), (2, 3)]
    # Sentence 2 is too long to share a block: it stands alone, and (1, 1) is inside (0, 1).
    assert cut_blocks([10, 10, 50, 10, 10], budget=30) == [(0, 1), (2, 2), (3, 4)]
    assert cut_blocks([99], budget=30) == [(0, 0)]
    assert cut_blocks([40, 10], budget=30) == [(0, 0), (1, 1)]


def test_a_sentence_longer_than_the_limit_is_cut_not_refused(judges: dict[str, NliModel]) -> None:
    """A 400-token sentence, as premise and as hypothesis, against a 128-token limit."""
    model = judges["roberta"]
    long_sentence = "The minister " + "met officials and talked " * 80 + "in Baghdad."
    assert len(model._tokenizer(long_sentence)["input_ids"]) > 3 * model.max_length
    article = read_article(long_sentence + " He left on Friday.")
    judged = model.judge(article, [long_sentence, "He left."], max_pairs=10, batch_size=4)
    assert judged.pairs == 4  # blocks (0, 0) and (1, 1): the two do not fit together
    for verdict in judged.sentences:
        assert (verdict.start_sentence, verdict.end_sentence) in {(0, 0), (1, 1)}
        assert -1 <= verdict.score <= 1


def test_the_cap_bounds_the_pairs_and_says_when_it_cut(judges: dict[str, NliModel]) -> None:
    model = judges["deberta-v2"]
    assert _judge(model, max_pairs=12).pairs == 12
    assert _judge(model, max_pairs=12).capped is False
    for cap in (3, 5, 11):
        judged = _judge(model, max_pairs=cap)
        assert judged.pairs == cap
        assert judged.capped is True
    with pytest.raises(InputTooLong, match="at most 2; given: 3"):
        _judge(model, max_pairs=2)


def test_under_the_cap_each_sentence_keeps_the_blocks_sharing_most_terms(
    judges: dict[str, NliModel],
) -> None:
    judged = _judge(judges["bert"], max_pairs=3)
    blocks = [(v.start_sentence, v.end_sentence) for v in judged.sentences]
    # The first summary sentence's words are sentence 0's, the second's sentence 4's; the
    # third shares Iraq, border, crossing and trade with (2, 3), three of them with (1, 2).
    assert blocks == [(0, 1), (3, 4), (2, 3)]


def test_choose_pairs_shares_the_cap_equally_earlier_sentences_first() -> None:
    blocks = [(0, 1), (1, 2), (2, 3)]
    terms = [frozenset({"a"}), frozenset({"b"}), frozenset({"c"})]
    pairs, capped = choose_pairs(blocks, terms, [frozenset({"c"}), frozenset({"b", "a"})], 3)
    assert capped is True
    # Sentence 0 gets two of the three: its one block with "c", then the first of the rest;
    # sentence 1's blocks tie at one term each, and the first is kept.
    assert pairs == [Pair(0, 0, 1), Pair(0, 2, 3), Pair(1, 0, 1)]
    assert choose_pairs(blocks, terms, [frozenset({"c"})], 3) == (
        [Pair(0, 0, 1), Pair(0, 1, 2), Pair(0, 2, 3)],
        False,
    )


def test_cancelled_before_the_first_batch_runs_nothing(judges: dict[str, NliModel]) -> None:
    cancel = Cancellation()
    cancel.cancel()
    with pytest.raises(Cancelled):
        _judge(judges["bert"], cancel=cancel)
    with pytest.raises(DeadlineExceeded):
        _judge(judges["bert"], cancel=Cancellation(timeout_s=0))


class _CancelAfter(Cancellation):
    """Cancelled at its `checks`-th check: the batches before it have run."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.checks = checks
        self.seen = 0

    def raise_if_stopped(self) -> None:
        self.seen += 1
        if self.seen == self.checks:
            self.cancel()
        super().raise_if_stopped()


def test_a_cancellation_between_batches_stops_before_the_next(
    judges: dict[str, NliModel],
) -> None:
    calls = []
    model = judges["roberta"]
    hook = model._model.register_forward_hook(lambda *_: calls.append(1))
    try:
        cancel = _CancelAfter(checks=2)
        with pytest.raises(Cancelled):
            _judge(model, batch_size=3, cancel=cancel)  # 12 pairs: 4 batches
        assert (cancel.seen, len(calls)) == (2, 1)
        calls.clear()
        _judge(model, batch_size=3, cancel=_CancelAfter(checks=99))
        assert len(calls) == 4
    finally:
        hook.remove()


def test_an_empty_summary_is_refused(judges: dict[str, NliModel]) -> None:
    with pytest.raises(EmptyInput):
        judges["bert"].judge(read_article(ARTICLE), [], max_pairs=10, batch_size=2)


def test_reports_the_models_limits(
    judges: dict[str, NliModel], checkpoints: dict[str, Path]
) -> None:
    # RoBERTa's position table has two rows more than the tokens it takes (130 for 128).
    assert judges["roberta"].max_tokens == 128
    assert judges["roberta"].max_length == min(DEFAULT_MAX_LENGTH, 128)
    assert judges["bert"].labels == MNLI_LABELS
    assert load_nli_model(str(checkpoints["bert"]), max_length=48).max_length == 48


def test_same_input_same_verdict_whatever_the_batch_size(judges: dict[str, NliModel]) -> None:
    one, many = (
        _judge(judges["deberta-v2"], batch_size=1),
        _judge(judges["deberta-v2"], batch_size=64),
    )
    assert one.mean == pytest.approx(many.mean, abs=1e-5)
    assert [v.start_sentence for v in one.sentences] == [v.start_sentence for v in many.sentences]


@pytest.mark.parametrize(("score", "support"), [(-1.0, 0.0), (0.0, 0.5), (1.0, 1.0), (0.5, 0.75)])
def test_support_maps_the_score_linearly_onto_zero_to_one(score: float, support: float) -> None:
    assert support_from_nli(score) == support
