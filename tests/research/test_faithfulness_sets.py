"""The leave-one-set-out fit of the summary support: the floor follows the set, and what
`--write` puts in models/faithfulness.py is the model it fitted."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from newsum.models import faithfulness
from research import faithfulness_sets
from research.faithfulness_data import MODES, Row
from research.faithfulness_dev import auc


def _rows(count: int, extractive: bool, seed: int = 0) -> list[Row]:
    """Summaries whose label shows in their bigrams (near-extractive) or in their words
    (reworded: most bigrams novel whatever the label)."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        faithful = int(rng.random() < 0.6)
        if extractive:
            unigrams, bigrams = 1.0, rng.uniform(0.9, 1.0) - 0.1 * (1 - faithful)
        else:
            unigrams, bigrams = rng.uniform(0.75, 0.9) + 0.1 * faithful, rng.uniform(0.2, 0.6)
        signals: dict[str, float | None] = {
            "precision_1": unigrams,
            "precision_2": bigrams,
            "weakest_support": rng.uniform(0.4, 0.9),
        }
        rows.append(Row(f"a{index}", "s", "abstractive", faithful, dict.fromkeys(MODES, signals)))
    return rows


def _auc(model: faithfulness.SupportModel, rows: list[Row]) -> float:
    labels = np.array([r.faithful for r in rows])
    return auc(labels, faithfulness_sets.supports(model, rows, "lexical"))


def test_fitted_on_a_reworded_set_it_is_judged_by_its_words() -> None:
    reworded, fresh = _rows(200, extractive=False), _rows(200, extractive=False, seed=1)
    model = faithfulness_sets.fit_rule([reworded], "lexical")
    # The lowest floor leaves most of these summaries to their (uninformative) bigrams.
    lowest = faithfulness_sets._fit_at([reworded], "lexical", faithfulness_sets.FLOORS[0])
    assert model.unigram_floor > faithfulness_sets.FLOORS[0]
    assert _auc(model, fresh) > max(0.9, _auc(lowest, fresh) + 0.1)


def test_fitted_on_a_near_extractive_set_it_is_judged_by_its_bigrams() -> None:
    model = faithfulness_sets.fit_rule([_rows(200, extractive=True)], "lexical")
    # Every unigram is copied: only the bigrams can rank these summaries.
    assert _auc(model, _rows(200, extractive=True, seed=1)) > 0.9


def test_write_puts_the_fitted_models_in_the_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "faithfulness.py"
    target.write_text(Path(faithfulness.__file__).read_text())
    monkeypatch.setattr(faithfulness_sets, "TARGET", target)
    both = [_rows(120, extractive=True), _rows(120, extractive=False)]
    models = {mode: faithfulness_sets.fit_rule(both, mode) for mode in MODES}
    faithfulness_sets.write(models)
    written: dict[str, Any] = {}
    exec(compile(target.read_text(), str(target), "exec"), written)
    for mode, model in models.items():
        got = written["MODELS"][mode]
        assert got.unigram_floor == model.unigram_floor
        assert got.intercept == pytest.approx(model.intercept, abs=1e-6)
        assert list(got.coefficients) == list(model.coefficients)
        for name, c in model.coefficients.items():
            stored = got.coefficients[name]
            assert (stored.mean, stored.scale, stored.weight) == pytest.approx(
                (c.mean, c.scale, c.weight), abs=1e-6
            )
