"""Folding the served model's log-likelihood into `support` (models.model_support)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import pytest

from newsum.models.abstractive.likelihood import SummaryLikelihood
from newsum.models.errors import ModelUnavailable
from newsum.models.faithfulness import SummarySupport
from newsum.models.model_support import (
    FittedWeights,
    FoldWeights,
    Judgement,
    fold,
    load_weights,
)

LEXICAL = SummarySupport(support=0.8, signals=("precision_4", "weakest_support"))
JUDGED = SummaryLikelihood("m", summary=-2.0, sentences=(-1.5, -2.5), scored_tokens=10,
                           truncated=False)  # fmt: skip
WEIGHTS = FoldWeights(intercept=0.5, lexical_weight=0.9, mean=-3.0, scale=0.5, weight=0.4)


def test_the_folded_support_is_the_fitted_logistic_regression() -> None:
    fitted = FittedWeights("m", "BartForConditionalGeneration", {"lexical": WEIGHTS})
    folded = fold(LEXICAL, "lexical", Judgement(JUDGED, fitted))
    logit = 0.5 + 0.9 * math.log(0.8 / 0.2) + 0.4 * (-2.0 - -3.0) / 0.5
    assert folded.support == pytest.approx(1 / (1 + math.exp(-logit)))
    assert folded.signals == (*LEXICAL.signals, "model_loglik=-2.000 (sentences: -1.500, -2.500)")


def test_a_likelier_summary_gets_more_support_when_the_weight_is_positive() -> None:
    fitted = FittedWeights("m", "a", {"lexical": WEIGHTS})
    unlikely = SummaryLikelihood("m", -6.0, (-6.0,), 5, False)
    assert (
        fold(LEXICAL, "lexical", Judgement(JUDGED, fitted)).support
        > fold(LEXICAL, "lexical", Judgement(unlikely, fitted)).support
    )


def test_without_fitted_weights_the_score_is_reported_and_support_unchanged() -> None:
    folded = fold(LEXICAL, "lexical", Judgement(JUDGED, None))
    assert folded.support == LEXICAL.support
    assert folded.signals[-1] == (
        "model_loglik=-2.000 (sentences: -1.500, -2.500); "
        "not folded: no fitted weight for this model"
    )


def test_weights_for_the_other_mode_only_are_not_used() -> None:
    fitted = FittedWeights("m", "a", {"lexical": WEIGHTS})
    folded = fold(LEXICAL, "embeddings", Judgement(JUDGED, fitted))
    assert folded.support == LEXICAL.support
    assert folded.signals[-1].endswith("not folded: no fitted weight for this model in the "
                                       "embeddings mode")  # fmt: skip


def test_a_summary_the_model_could_not_score_says_why() -> None:
    folded = fold(LEXICAL, "lexical", Judgement("the model failed", None))
    assert folded.support == LEXICAL.support
    assert folded.signals[-1] == "model_loglik: not scored: the model failed"
    partly = SummaryLikelihood("m", -2.0, (-2.0, None), 128, True)
    listed = fold(LEXICAL, "lexical", Judgement(partly, None)).signals[-1]
    assert listed.startswith("model_loglik=-2.000 (sentences: -2.000, past the token bound)")


def test_a_support_of_exactly_0_or_1_stays_finite() -> None:
    for edge in (0.0, 1.0):
        folded = WEIGHTS.support(edge, -2.0)
        assert 0.0 < folded < 1.0


def _write(path: Path, model: str = "m", architecture: str = "A", **changes: object) -> Path:
    entry = {"architecture": architecture, "modes": {"lexical": asdict(WEIGHTS)}}
    stored: dict[str, object] = {"format": 1, "models": {model: entry}, **changes}
    path.write_text(json.dumps(stored))
    return path


def test_weights_load_for_their_model_and_architecture_only(tmp_path: Path) -> None:
    path = _write(tmp_path / "w.json")
    loaded = load_weights(path, "m", "A")
    assert loaded is not None
    assert loaded.modes["lexical"] == WEIGHTS
    assert load_weights(path, "another-model", "A") is None
    assert load_weights(path, "m", "AnotherArchitecture") is None
    assert load_weights(tmp_path / "absent.json", "m", "A") is None


def test_a_broken_weights_file_is_refused_with_its_path(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ModelUnavailable, match=r"broken\.json"):
        load_weights(broken, "m", "A")
    with pytest.raises(ModelUnavailable, match="format"):
        load_weights(_write(tmp_path / "old.json", format=0), "m", "A")
    stored = json.loads(_write(tmp_path / "nan.json").read_text())
    stored["models"]["m"]["modes"]["lexical"]["scale"] = 0.0
    (tmp_path / "nan.json").write_text(json.dumps(stored))
    with pytest.raises(ModelUnavailable, match="scale"):
        load_weights(tmp_path / "nan.json", "m", "A")
