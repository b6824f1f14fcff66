"""Greedy forward selection of faithfulness signals on the SummEval dev labels.

    python -m research.fit_faithfulness [--data ../shared/data] [--cache FILE]

How the summary-level support was chosen before issue 29 (its coefficients are no
longer what models/faithfulness.py ships: research.faithfulness_sets fits those on
both labelled dev sets), kept as the tool to try a new signal on SummEval and as the
helpers (folds, the logistic regression) the other scripts share. For each mode
(lexical; with embeddings) the signals are chosen by greedy forward selection:
starting from none, add the signal that most raises the ROC AUC of a logistic
regression, 5-fold cross-validated by article (every summary of an article in one
fold; the mean of the folds' AUCs), while it raises it by at least `MIN_GAIN`.
Prints the cross-validated AUC of every step, and a nested estimate (the whole
selection rerun inside each outer fold), which is the honest figure for a set chosen
on the same data. Deterministic: fixed folds, a deterministic solver.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from research.faithfulness_data import DATA, MODES, Row, load_rows

FOLDS = 5
SEED = 0
# A signal joins only if it raises the cross-validated AUC by this much: below
# it, the gain is within what reshuffling the folds moves the AUC.
MIN_GAIN = 0.003
# L2 strength: the default, on standardised signals; a dozen signals and
# 1,552 labels do not need more.
C = 1.0
CANDIDATES: dict[str, tuple[str, ...]] = {
    "lexical": (
        "weakest_support", "mean_support", "precision_1", "precision_2", "precision_3",
        "precision_4", "weakest_precision_3", "novel_content", "novel_terms",
        "missing_numbers", "magnitude_mismatches",
        "missing_names", "negation_flips", "entity_fusions",
    ),
}  # fmt: skip
CANDIDATES["embeddings"] = (*CANDIDATES["lexical"], "weakest_similarity")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache", type=Path, default=None, help="signal cache (a JSON file)")
    args = parser.parse_args()

    rows = load_rows(args.data, args.cache)
    labels = np.array([r.faithful for r in rows])
    fold = assign_folds(rows)
    for mode in MODES:
        print(f"== {mode}")
        chosen = select(rows, labels, fold, mode, np.arange(len(rows)), verbose=True)
        print(f"chosen: {', '.join(chosen) or 'none'}")
        nested = nested_auc(rows, labels, fold, mode)
        print(f"nested cross-validated AUC of the selection procedure: {nested:.3f}")
    return 0


def assign_folds(rows: Sequence[Row], folds: int = FOLDS, seed: int = SEED) -> np.ndarray:
    """A fold per row, the same for every summary of one article."""
    articles = sorted({r.article for r in rows})
    random.Random(seed).shuffle(articles)
    of = {article: i % folds for i, article in enumerate(articles)}
    return np.array([of[r.article] for r in rows])


def matrix(rows: Sequence[Row], mode: str, names: Sequence[str]) -> np.ndarray:
    """Signals as columns; a signal that does not apply is NaN."""
    values = [[r.signals[mode][n] for n in names] for r in rows]
    return np.array([[np.nan if v is None else v for v in row] for row in values], dtype=float)


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Means, scales, weights and intercept of a logistic regression on standardised `x`."""
    means = np.nanmean(x, axis=0)
    scales = np.nanstd(x, axis=0)
    scales[scales == 0] = 1.0
    model = LogisticRegression(C=C, max_iter=1000).fit(_standardise(x, means, scales), y)
    return means, scales, model.coef_[0], float(model.intercept_[0])


def predict(x: np.ndarray, means: np.ndarray, scales: np.ndarray, weights: np.ndarray,
            intercept: float) -> np.ndarray:  # fmt: skip
    logits = _standardise(x, means, scales) @ weights + intercept
    result: np.ndarray = 1 / (1 + np.exp(-logits))
    return result


def out_of_fold(
    rows: Sequence[Row], labels: np.ndarray, fold: np.ndarray, mode: str, names: Sequence[str],
    subset: np.ndarray | None = None,
) -> np.ndarray:  # fmt: skip
    """Each row's prediction by a model fitted on the other folds (within `subset`)."""
    subset = np.arange(len(rows)) if subset is None else subset
    x = matrix([rows[int(i)] for i in subset], mode, names)
    y, f = labels[subset], fold[subset]
    predictions = np.zeros(len(subset))
    for k in np.unique(f):
        train = f != k
        predictions[~train] = predict(x[~train], *fit(x[train], y[train]))
    return predictions


def select(
    rows: Sequence[Row], labels: np.ndarray, fold: np.ndarray, mode: str, subset: np.ndarray,
    verbose: bool = False,
) -> list[str]:  # fmt: skip
    """Greedy forward selection by cross-validated AUC within `subset`."""
    chosen: list[str] = []
    best = 0.5
    while True:
        trials = {
            name: fold_auc(
                labels[subset],
                out_of_fold(rows, labels, fold, mode, [*chosen, name], subset),
                fold[subset],
            )
            for name in CANDIDATES[mode]
            if name not in chosen
        }
        if not trials:
            return chosen
        name = max(trials, key=lambda n: (trials[n], n))
        if trials[name] < best + MIN_GAIN:
            return chosen
        chosen.append(name)
        best = trials[name]
        if verbose:
            print(f"  + {name:22s} cross-validated AUC {best:.3f}")


def nested_auc(rows: Sequence[Row], labels: np.ndarray, fold: np.ndarray, mode: str) -> float:
    """AUC of predictions whose signals were chosen and fitted without their own fold."""
    predictions = np.zeros(len(rows))
    for k in range(FOLDS):
        train = np.flatnonzero(fold != k)
        test = np.flatnonzero(fold == k)
        # Inner folds: the remaining four outer folds.
        names = select(rows, labels, fold, mode, train)
        x = matrix(rows, mode, names)
        predictions[test] = predict(x[test], *fit(x[train], labels[train]))
    return fold_auc(labels, predictions, fold)


def fold_auc(labels: np.ndarray, predictions: np.ndarray, fold: np.ndarray) -> float:
    """The mean of the folds' ROC AUCs: each fold's predictions come from one model, as
    the served ones do; pooling folds would also score how the fold models differ."""
    return float(np.mean([roc_auc_score(labels[fold == k], predictions[fold == k])
                          for k in np.unique(fold)]))  # fmt: skip


def _standardise(x: np.ndarray, means: np.ndarray, scales: np.ndarray) -> np.ndarray:
    # A signal that does not apply sits at the mean: it adds nothing to the logit.
    z: np.ndarray = (np.where(np.isnan(x), means, x) - means) / scales
    return z


if __name__ == "__main__":
    sys.exit(main())
