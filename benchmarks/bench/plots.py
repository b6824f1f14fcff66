"""The benchmark's pictures: ROUGE with intervals, latency, where content comes from.

matplotlib (the `bench` extra) is imported when a picture is drawn, not with this module:
`newsum bench --help` works without the extras.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from newsum.benchmarks.bench.scoring import ROUGE_TYPES


def draw(summary: dict[str, Any], out: Path) -> list[str]:
    systems = {name: s for name, s in summary["systems"].items() if s["articles"]}
    if not systems:
        return []
    plt = _pyplot()
    images = [_rouge(plt, systems, out), _position(plt, systems, out)]
    if any(s["latency_samples_ms"] for s in systems.values()):
        images.append(_latency(plt, systems, out))
    return images


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on servers and CI
    import matplotlib.pyplot as plt

    return plt


def _rouge(plt: Any, systems: dict[str, Any], out: Path) -> str:
    figure, axes = plt.subplots(figsize=(max(6, 1.6 * len(systems)), 4))
    width = 0.8 / len(ROUGE_TYPES)
    for k, kind in enumerate(ROUGE_TYPES):
        means = [100 * s["rouge"][kind]["mean"] for s in systems.values()]
        errors = [
            [100 * (s["rouge"][kind]["mean"] - s["rouge"][kind]["low"]) for s in systems.values()],
            [100 * (s["rouge"][kind]["high"] - s["rouge"][kind]["mean"]) for s in systems.values()],
        ]
        positions = [i + (k - 1.5) * width for i in range(len(systems))]
        axes.bar(positions, means, width, yerr=errors, capsize=2, label=kind)
    axes.set_xticks(range(len(systems)), list(systems), rotation=20, ha="right")
    axes.set_ylabel("F1 × 100 (95 % interval)")
    axes.set_title("ROUGE against the reference summaries")
    axes.legend()
    return _save(plt, figure, out, "rouge.png")


def _position(plt: Any, systems: dict[str, Any], out: Path) -> str:
    figure, axes = plt.subplots(figsize=(7, 0.5 * len(systems) + 1.5))
    left = [0.0] * len(systems)
    for part, colour in (("lead", "#1f77b4"), ("body", "#bbbbbb"), ("closing", "#ff7f0e")):
        shares = [s["position"][part] for s in systems.values()]
        axes.barh(list(systems), shares, left=left, color=colour, label=part)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    axes.set_xlim(0, 1)
    axes.set_xlabel("share of the summary's source sentences")
    axes.set_title("Where each system's content comes from")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=3, frameon=False)
    return _save(plt, figure, out, "position.png")


def _latency(plt: Any, systems: dict[str, Any], out: Path) -> str:
    timed = {
        name: s["latency_samples_ms"] for name, s in systems.items() if s["latency_samples_ms"]
    }
    figure, axes = plt.subplots(figsize=(max(6, 1.4 * len(timed)), 4))
    axes.boxplot(list(timed.values()), tick_labels=list(timed), showfliers=True)
    axes.set_yscale("log")
    axes.set_ylabel("ms per article (log scale)")
    axes.set_title("Latency per article")
    axes.tick_params(axis="x", rotation=20)
    return _save(plt, figure, out, "latency.png")


def _save(plt: Any, figure: Any, out: Path, name: str) -> str:
    figure.tight_layout()
    figure.savefig(out / name, dpi=110)
    plt.close(figure)
    return name
