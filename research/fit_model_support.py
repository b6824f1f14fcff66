"""Fit the weight the served model's log-likelihood earns in `support` (models.model_support).

    python -m research.fit_model_support --model HUB_ID_OR_FOLDER [--backend ctranslate2]
        [--articles N] [--data ../shared/data] [--cache FILE] [--scores FILE] [--out FILE]

Every SummEval dev summary (research.faithfulness_data; or those of the first
N articles) is scored under the model the way the service scores it with
NEWSUM_MODEL_SUPPORT=on: the article fitted as generation fits it, the summary
split as attribution splits it, the mean token log-probability
(models.abstractive.likelihood). Then, per mode (lexical; with embeddings), a
logistic regression stacks the logit of today's lexical support and the model's
score, and is measured by nested cross-validation by article (5 outer folds;
within each, the lexical support of the training rows comes from the 4 inner
folds, so the stack never learns from a lexical score fitted on its own rows; the floor
that makes its `copied` input is the shipped one, chosen on both dev sets).
Printed side by side on the same outer folds, with 95 % bootstrap intervals over
articles: the lexical support alone, the model's score alone, and the two.

A mode's weights are written only if the stack raised the nested AUC over the
lexical support alone by MIN_GAIN (research.fit_faithfulness's rule for a
signal; --force writes them anyway, to try the plumbing). They are the stack
fitted on every scored summary, with the lexical support as served (the
checked-in coefficients), written to --out (default:
model_support.json in the checkpoint's folder, where the service looks), keyed
by the model's name and architecture; other models' entries in the file stay.
Fitted on this dev set only (CNN/DailyMail, 16 systems): read the AUCs before
deploying the weights, and refit for each model served. Deterministic.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from newsum.models.abstractive.engine import Seq2SeqEngine, open_engine
from newsum.models.article import read_article
from newsum.models.attribution import summary_spans
from newsum.models.faithfulness import MODELS, score
from newsum.models.model_support import WEIGHTS_FILE, WEIGHTS_FORMAT
from newsum.models.types import Article
from research.faithfulness_data import DATA, MODES, Row, load_rows, read_dev, with_copied
from research.faithfulness_dev import auc_interval
from research.fit_faithfulness import (
    MIN_GAIN,
    assign_folds,
    fit,
    matrix,
    out_of_fold,
    predict,
)

_CLAMP = 1e-6  # as models.model_support: logit(support) stays finite
LEXICAL, MODEL, STACKED = "lexical support alone", "model score alone", "lexical + model (stacked)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="hub id (cached) or checkpoint folder")
    parser.add_argument("--backend", default="ctranslate2", choices=("ctranslate2", "torch"))
    parser.add_argument("--articles", type=int, default=None, help="only the first N articles")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache", type=Path, default=None, help="signal cache (a JSON file)")
    parser.add_argument("--scores", type=Path, default=None, help="model score cache (JSON)")
    parser.add_argument("--out", type=Path, default=None, help="default: next to the model")
    parser.add_argument(
        "--force",
        action="store_true",
        help="write a mode's weights even if they did not earn them (to try the plumbing)",
    )
    args = parser.parse_args()

    engine = open_engine(args.model, backend=args.backend)
    if not isinstance(engine, Seq2SeqEngine):
        raise SystemExit(f"the model did not load: {engine.reason}")
    rows = load_rows(args.data, args.cache)
    kept = set(sorted({r.article for r in rows})[: args.articles])
    picked = [i for i, r in enumerate(rows) if r.article in kept]
    loglik = model_scores(engine, args.data, picked, args.scores)
    rows = [rows[i] for i in picked]
    labels = np.array([r.faithful for r in rows])
    print(f"{engine.name} on {engine.generator.name}: {len(rows)} summaries of "
          f"{len(kept)} articles, {int(labels.sum())} faithful")  # fmt: skip
    report: dict[str, Any] = {}
    modes: dict[str, dict[str, float]] = {}
    for mode in MODES:
        report[mode] = nested(rows, labels, loglik, mode)
        for name, (point, low, high) in report[mode].items():
            print(f"  {mode:10s} {name:28s} AUC {point:.3f} ({low:.3f}-{high:.3f})")
        if earned(report[mode], mode) or args.force:
            modes[mode] = final_weights(rows, labels, loglik, mode)
    if not modes:
        print("nothing written: no mode earned a weight (--force writes them anyway)")
        return 0
    out = args.out or Path(engine.checkpoint.path) / WEIGHTS_FILE
    write_weights(out, engine, modes, {"summaries": len(rows), "articles": len(kept),
                                       "roc_auc": report})  # fmt: skip
    print(f"wrote {out}")
    return 0


def model_scores(
    engine: Seq2SeqEngine, data: Path, picked: Sequence[int], cache: Path | None
) -> np.ndarray:
    """The model's mean token log-probability of each picked dev summary (the rows' order)."""
    stored: dict[str, float] = {}
    key = f"{engine.name}|{engine.generator.name}"
    if cache is not None and cache.exists():
        stored = json.loads(cache.read_text()).get(key, {})
    texts, outputs = read_dev(data)
    articles: dict[str, Article] = {}
    began, scored = time.perf_counter(), 0
    values = []
    for index in picked:
        output = outputs[index]
        if str(index) not in stored:
            article = articles.setdefault(output["id"], read_article(texts[output["id"]]))
            summary = output["summary"]
            spans = summary_spans(summary, article.language)
            judged = engine.likelihood(article, [summary[s:e] for s, e in spans])
            # A summary with nothing to score sits at the others' mean (as a missing signal does).
            stored[str(index)] = np.nan if judged.summary is None else judged.summary
            scored += 1
        values.append(stored[str(index)])
    if scored:
        print(f"scored {scored} summaries in {time.perf_counter() - began:.1f} s")
    if cache is not None:
        everything = json.loads(cache.read_text()) if cache.exists() else {}
        cache.write_text(json.dumps({**everything, key: stored}))
    result = np.array(values, dtype=float)
    return np.where(np.isnan(result), np.nanmean(result), result)


def nested(
    rows: Sequence[Row], labels: np.ndarray, loglik: np.ndarray, mode: str
) -> dict[str, list[float]]:
    """AUCs on the same outer folds: lexical support alone, model score alone, the stack."""
    fold = assign_folds(rows)
    # The lexical support's inputs, the floor as shipped; its weights refitted by fold.
    rows = with_copied(rows)
    names = list(MODELS[mode].coefficients)
    lexical = np.zeros(len(rows))
    stacked = np.zeros(len(rows))
    for k in np.unique(fold):
        train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        # The training rows' lexical support from the inner folds; the test rows' from a
        # lexical model fitted on every training row.
        inner = out_of_fold(rows, labels, fold, mode, names, train)
        lexical_x = matrix(rows, mode, names)
        lexical[test] = predict(lexical_x[test], *fit(lexical_x[train], labels[train]))
        stack = fit(stack_features(inner, loglik[train]), labels[train])
        stacked[test] = predict(stack_features(lexical[test], loglik[test]), *stack)
    groups = np.array([r.article for r in rows])
    everything = np.ones(len(rows), dtype=bool)
    scores = {LEXICAL: lexical, MODEL: loglik, STACKED: stacked}
    return {
        name: auc_interval(labels, values, fold, groups, everything)
        for name, values in scores.items()
    }


def earned(aucs: dict[str, list[float]], mode: str) -> bool:
    """Whether the stack beat the lexical support alone by MIN_GAIN (nested AUC); says which."""
    gain = aucs[STACKED][0] - aucs[LEXICAL][0]
    verdict = "earned" if gain >= MIN_GAIN else "did NOT earn"
    print(f"  {mode}: the model score {verdict} a weight: nested AUC {gain:+.3f} over the "
          f"lexical support (needs {MIN_GAIN:+.3f})")  # fmt: skip
    return gain >= MIN_GAIN


def final_weights(
    rows: Sequence[Row], labels: np.ndarray, loglik: np.ndarray, mode: str
) -> dict[str, float]:
    """The stack on every row, over the lexical support as served, in FoldWeights' terms."""
    served = np.array([score(r.signals[mode], mode).support for r in rows])
    means, scales, weights, intercept = fit(stack_features(served, loglik), labels)
    # fit() standardises both columns; the lexical one goes back to the raw logit.
    return {
        "intercept": float(intercept - weights[0] * means[0] / scales[0]),
        "lexical_weight": float(weights[0] / scales[0]),
        "mean": float(means[1]),
        "scale": float(scales[1]),
        "weight": float(weights[1]),
    }


def write_weights(
    out: Path, engine: Seq2SeqEngine, modes: dict[str, dict[str, float]], fitted_on: Any
) -> None:
    stored: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    stored["format"] = WEIGHTS_FORMAT
    architecture = (engine.checkpoint.config.architectures or ["unknown"])[0]
    stored.setdefault("models", {})[engine.name] = {
        "architecture": architecture,
        "modes": modes,
        "fitted_on": fitted_on,
    }
    out.write_text(json.dumps(stored, indent=2) + "\n")


def stack_features(support: np.ndarray, loglik: np.ndarray) -> np.ndarray:
    clamped = np.clip(support, _CLAMP, 1 - _CLAMP)
    return np.column_stack([np.log(clamped / (1 - clamped)), loglik])


if __name__ == "__main__":
    sys.exit(main())
