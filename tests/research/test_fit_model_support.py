"""The fit of the model judge's weight: what it writes is what the service reads and computes."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from newsum.models.faithfulness import MODELS, score
from newsum.models.model_support import FoldWeights, load_weights
from research.faithfulness_data import MODES, Row
from research.fit_faithfulness import fit, predict
from research.fit_model_support import (
    earned,
    final_weights,
    nested,
    stack_features,
    write_weights,
)


def _rows(count: int = 240, lexical: float = 0.0) -> tuple[list[Row], np.ndarray, np.ndarray]:
    """Rows of 16 summaries per article whose label the model score predicts well, and
    the lexical signals by `lexical` (0: not at all)."""
    rng = random.Random(0)
    rows, loglik = [], []
    for index in range(count):
        faithful = int(rng.random() < 0.7)
        signals: dict[str, dict[str, float | None]] = {
            mode: {
                name: rng.uniform(0.3, 0.7) + lexical * faithful for name in MODELS[mode].signals
            }
            for mode in MODES
        }
        rows.append(Row(f"a{index // 16}", "s", "abstractive", faithful, signals))
        loglik.append(-2.0 + faithful + rng.gauss(0, 0.5))
    return rows, np.array([r.faithful for r in rows]), np.array(loglik)


def test_the_written_weights_give_the_fitted_stack_as_the_service_computes_it(
    tmp_path: Path,
) -> None:
    rows, labels, loglik = _rows()
    mode = "lexical"
    served = np.array([score(r.signals[mode], mode).support for r in rows])
    expected = predict(stack_features(served, loglik), *fit(stack_features(served, loglik), labels))
    engine: Any = SimpleNamespace(
        name="org/model", checkpoint=SimpleNamespace(config=SimpleNamespace(architectures=["A"]))
    )
    out = tmp_path / "model_support.json"
    write_weights(out, engine, {m: final_weights(rows, labels, loglik, m) for m in MODES}, {})
    loaded = load_weights(out, "org/model", "A")
    assert loaded is not None
    weights: FoldWeights = loaded.modes[mode]
    got = [weights.support(s, ll) for s, ll in zip(served, loglik, strict=True)]
    assert got == pytest.approx(expected.tolist(), abs=1e-9)
    assert weights.weight > 0, "a likelier summary was the faithful one in these rows"


def test_writing_keeps_other_models_weights(tmp_path: Path) -> None:
    rows, labels, loglik = _rows(64)
    out = tmp_path / "model_support.json"
    modes = {m: final_weights(rows, labels, loglik, m) for m in MODES}
    for name in ("one", "two"):
        engine: Any = SimpleNamespace(
            name=name, checkpoint=SimpleNamespace(config=SimpleNamespace(architectures=["A"]))
        )
        write_weights(out, engine, modes, {})
    assert load_weights(out, "one", "A") is not None
    assert load_weights(out, "two", "A") is not None


def test_a_score_that_predicts_the_label_raises_the_nested_auc() -> None:
    rows, labels, loglik = _rows()
    report = nested(rows, labels, loglik, "lexical")
    # The lexical signals here are noise; the model score is not.
    assert report["lexical support alone"][0] < 0.65
    assert report["model score alone"][0] > 0.8
    assert report["lexical + model (stacked)"][0] > 0.8


def test_a_score_that_does_not_raise_the_auc_earns_no_weight() -> None:
    rows, labels, loglik = _rows(lexical=0.2)
    says_nothing = np.full(len(rows), -3.0)  # the same for every summary
    assert not earned(nested(rows, labels, says_nothing, "lexical"), "lexical")
    assert earned(nested(rows, labels, loglik, "lexical"), "lexical")
