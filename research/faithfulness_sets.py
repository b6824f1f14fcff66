"""Summary-level support across kinds of summary: fitted on one dev set, measured on the other.

    python -m research.faithfulness_sets [--data ../shared/data] [--cache FILE] [--out DIR]
        [--write]

The two dev sets with faithfulness labels (research.faithfulness_data): SummEval
(CNN/DailyMail, near-extractive: bigram precision is the better n-gram baseline) and
QAGS-XSum (one-sentence BBC summaries, highly abstractive: unigram precision is).
The served rule (models.faithfulness) has one free constant, `unigram_floor`
(copied = max(precision_2, unigram_floor * precision_1)), and a logistic regression
over `copied` and the weakest sentence's support. Leave one set out: the floor (the
grid value with the best AUC) and the weights are fitted on one set only, and the
held-out set's ROC AUC is the claim. Beside it, in the same run: unigram and bigram
precision, the support before issue 29 (a logistic regression over the signals the
greedy selection of research.fit_faithfulness kept, fitted on SummEval) and the
shipped fit (both sets, in-sample). Each AUC with a 95 % bootstrap interval over
articles (1,000 resamples, the same resamples for every score), and the held-out
score's difference from the better baseline with its own interval (paired).
With `--write`, the shipped fit (both sets, each weighted equally; the floor with the
best mean of the two sets' AUCs) replaces the fitted block of models/faithfulness.py.
Writes faithfulness_sets.{json,md} to --out.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from newsum.benchmarks.output import publish
from newsum.models.faithfulness import COPIED, Coefficient, SupportModel
from research.faithfulness_data import DATA, DATASETS, MODES, QAGS_XSUM, SUMMEVAL, Row, load_rows
from research.faithfulness_dev import auc
from research.fit_faithfulness import C, fit, matrix, predict

HERE = Path(__file__).resolve().parent
TARGET = HERE.parent / "models" / "faithfulness.py"
BOOTSTRAP_SAMPLES = 1_000
# The floor's grid: below 0.5 a summary with most of its bigrams reworded would still be
# judged by them; 0.95 leaves almost nothing to the bigrams.
FLOORS = tuple(round(0.5 + 0.025 * i, 3) for i in range(19))
INPUTS = (COPIED, "weakest_support")
# The support before issue 29: the signals research.fit_faithfulness's selection kept.
PREVIOUS = {
    "lexical": ("precision_4", "weakest_support"),
    "embeddings": ("mean_support", "precision_4", "weakest_similarity"),
}
BASELINES = {"unigram precision": "precision_1", "bigram precision": "precision_2"}
HELD_OUT = "support, fitted on the other set (held out)"
GAP = "held out minus the better baseline"
SHIPPED = "support, shipped (fitted on both: in-sample)"
BEFORE = "support before issue 29 (fitted on SummEval)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache", type=Path, default=None, help="signal cache (a JSON file)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "faithfulness")
    parser.add_argument("--write", action="store_true", help="rewrite models/faithfulness.py")
    args = parser.parse_args()

    sets = {name: load_rows(args.data, args.cache, name) for name in DATASETS}
    shipped = {mode: fit_rule(list(sets.values()), mode) for mode in MODES}
    report: dict[str, Any] = {
        "sets": {
            name: {
                "summaries": len(rows),
                "faithful": sum(r.faithful for r in rows),
                "articles": len({r.article for r in rows}),
            }
            for name, rows in sets.items()
        },
        "modes": {},
    }
    for mode in MODES:
        previous = _previous(sets[SUMMEVAL], mode)
        held_out: dict[str, Any] = {}
        for name, rows in sets.items():
            (other,) = (r for n, r in sets.items() if n != name)
            model = fit_rule([other], mode)
            scores = {
                HELD_OUT: supports(model, rows, mode),
                **{label: _signal(rows, mode, s) for label, s in BASELINES.items()},
                BEFORE: previous(rows),
                SHIPPED: supports(shipped[mode], rows, mode),
            }
            held_out[name] = {
                "fitted_on_other": {"unigram_floor": model.unigram_floor,
                                    "weights": _weights(model)},
                "roc_auc": bootstrap(rows, scores, HELD_OUT, list(BASELINES)),
            }  # fmt: skip
        report["modes"][mode] = {
            "shipped": {"unigram_floor": shipped[mode].unigram_floor,
                        "weights": _weights(shipped[mode])},
            "sets": held_out,
        }  # fmt: skip
    publish(args.out, "faithfulness_sets", report, _markdown(report))
    if args.write:
        write(shipped)
        print(f"wrote {TARGET}")
    return 0


def fit_rule(sets: Sequence[Sequence[Row]], mode: str) -> SupportModel:
    """The floor with the best mean of the sets' AUCs, and the logistic regression over
    INPUTS at that floor with each set weighted equally (ties go to the higher floor)."""
    best: tuple[float, float, SupportModel] | None = None
    for floor in FLOORS:
        model = _fit_at(sets, mode, floor)
        mean_auc = float(np.mean([_auc(rows, supports(model, rows, mode)) for rows in sets]))
        if best is None or (mean_auc, floor) > best[:2]:
            best = (mean_auc, floor, model)
    assert best is not None
    return best[2]


def supports(model: SupportModel, rows: Sequence[Row], mode: str) -> np.ndarray:
    """Each row's support as served (SupportModel.logit, then the logistic function)."""
    logits = np.array([model.logit(r.signals[mode]) for r in rows])
    result: np.ndarray = 1 / (1 + np.exp(-logits))
    return result


def bootstrap(
    rows: Sequence[Row], scores: Mapping[str, np.ndarray], claim: str, baselines: Sequence[str]
) -> dict[str, list[float]]:
    """Each score's AUC with its 95 % interval, resampling articles with replacement (the
    same resamples for all), and GAP: `claim` minus the better of `baselines` on the
    whole set, resampled with it (paired)."""
    labels = np.array([r.faithful for r in rows])
    articles = sorted({r.article for r in rows})
    rows_of = {a: np.flatnonzero([r.article == a for r in rows]) for a in articles}
    versus = max(baselines, key=lambda b: auc(labels, scores[b]))

    def aucs(picked: np.ndarray) -> dict[str, float]:
        values = {name: auc(labels[picked], s[picked]) for name, s in scores.items()}
        return {**values, GAP: values[claim] - values[versus]}

    point = aucs(np.arange(len(rows)))
    rng = random.Random(0)
    samples = [
        aucs(np.concatenate([rows_of[a] for a in rng.choices(articles, k=len(articles))]))
        for _ in range(BOOTSTRAP_SAMPLES)
    ]
    result = {}
    for name, value in point.items():
        low, high = np.nanpercentile([s[name] for s in samples], [2.5, 97.5])
        result[name] = [value, float(low), float(high)]
    return result


def write(models: Mapping[str, SupportModel]) -> None:
    """Replace the fitted block of models/faithfulness.py with `models`."""
    blocks = "".join(_model_source(mode, model) for mode, model in models.items())
    fitted = "MODELS: dict[str, SupportModel] = {\n" + blocks + "}\n"
    source = re.sub(
        r"# BEGIN FITTED[^\n]*\n.*?(# END FITTED)",
        lambda m: _HEADER + "\n" + fitted + m.group(1),
        TARGET.read_text(),
        flags=re.DOTALL,
    )
    TARGET.write_text(source)


_HEADER = "# BEGIN FITTED: written by `python -m research.faithfulness_sets --write`; do not edit."


def _fit_at(sets: Sequence[Sequence[Row]], mode: str, floor: float) -> SupportModel:
    """The logistic regression over INPUTS with `copied` made at `floor`, each set's rows
    weighted so that every set counts the same."""
    probe = SupportModel(unigram_floor=floor, intercept=0.0, coefficients={})
    rows = [r for s in sets for r in s]
    x = np.array([[_none_to_nan(probe.inputs(r.signals[mode])[n]) for n in INPUTS] for r in rows])
    y = np.array([r.faithful for r in rows])
    weights = np.concatenate([np.full(len(s), len(rows) / (len(sets) * len(s))) for s in sets])
    means, scales = np.nanmean(x, axis=0), np.nanstd(x, axis=0)
    scales[scales == 0] = 1.0
    z = (np.where(np.isnan(x), means, x) - means) / scales
    fitted = LogisticRegression(C=C, max_iter=1000).fit(z, y, sample_weight=weights)
    coefficients = {
        name: Coefficient(mean=float(m), scale=float(s), weight=float(w))
        for name, m, s, w in zip(INPUTS, means, scales, fitted.coef_[0], strict=True)
    }
    return SupportModel(floor, float(fitted.intercept_[0]), coefficients)


def _previous(summeval: Sequence[Row], mode: str) -> Any:
    """The support before issue 29, refitted on SummEval as research.fit_faithfulness did."""
    names = PREVIOUS[mode]
    model = fit(matrix(summeval, mode, names), np.array([r.faithful for r in summeval]))
    return lambda rows: predict(matrix(rows, mode, names), *model)


def _signal(rows: Sequence[Row], mode: str, name: str) -> np.ndarray:
    return np.array([_none_to_nan(r.signals[mode][name]) for r in rows])


def _none_to_nan(value: float | None) -> float:
    return np.nan if value is None else value


def _auc(rows: Sequence[Row], scores: np.ndarray) -> float:
    return auc(np.array([r.faithful for r in rows]), scores)


def _weights(model: SupportModel) -> dict[str, float]:
    return {"intercept": model.intercept} | {n: c.weight for n, c in model.coefficients.items()}


def _model_source(mode: str, model: SupportModel) -> str:
    lines = [
        f'    "{mode}": SupportModel(',
        f"        unigram_floor={model.unigram_floor:.3f},",
        f"        intercept={model.intercept:.6f},",
        "        coefficients={",
    ]
    for name, c in model.coefficients.items():
        lines.append(
            f'            "{name}": Coefficient(mean={c.mean:.6f}, scale={c.scale:.6f}, '
            f"weight={c.weight:.6f}),"
        )
    lines += ["        },", "    ),"]
    return "\n".join(lines) + "\n"


_TITLES = {SUMMEVAL: "SummEval (CNN/DailyMail)", QAGS_XSUM: "QAGS-XSum (BBC)"}


def _markdown(r: dict[str, Any]) -> str:
    lines = [
        "# Summary-level support, leave one dev set out",
        "",
        "ROC AUC of faithful against not, per set (a ranking within the set), with a 95 % "
        "bootstrap interval (articles resampled, the same resamples for every row). "
        "*Held out*: the floor and the weights fitted on the other set only: the claim. "
        "*Shipped*: fitted on both sets (in-sample). *Before issue 29*: fitted on SummEval "
        "(in-sample there, held out on QAGS-XSum). The n-gram precisions are not fitted.",
        "",
        "Reproduce: `python -m research.faithfulness_sets --cache /tmp/faithfulness_rows.json`",
        "",
    ]
    for name, counts in r["sets"].items():
        lines.append(
            f"- {_TITLES[name]}: {counts['summaries']} summaries of {counts['articles']} "
            f"articles, {counts['faithful']} faithful"
        )
    lines.append("")
    for mode, result in r["modes"].items():
        shipped = result["shipped"]
        lines += [
            f"## {mode}",
            "",
            f"Shipped: unigram_floor {shipped['unigram_floor']}, weights "
            + ", ".join(f"{n} {w:.3f}" for n, w in shipped["weights"].items()),
            "",
            "| score | " + " | ".join(_TITLES[n] for n in result["sets"]) + " |",
            "|---|" + "---|" * len(result["sets"]),
        ]
        cells = [s["roc_auc"] for s in result["sets"].values()]
        for score in cells[0]:
            row = " | ".join(_cell(c[score], signed=score == GAP) for c in cells)
            lines.append(f"| {score} | {row} |")
        floors = [s["fitted_on_other"]["unigram_floor"] for s in result["sets"].values()]
        lines += [
            "| floor fitted on the other set | " + " | ".join(str(f) for f in floors) + " |",
            "",
        ]
    return "\n".join(lines)


def _cell(value: Sequence[float], signed: bool) -> str:
    point, low, high = value
    if signed:
        return f"{point:+.3f} ({low:+.3f} to {high:+.3f})"
    return f"{point:.3f} ({low:.3f}–{high:.3f})"


if __name__ == "__main__":
    sys.exit(main())
