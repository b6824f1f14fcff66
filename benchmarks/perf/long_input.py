"""How often the long-input policy cuts real articles, counted in real tokens.

    python -m newsum.benchmarks.perf.long_input [--limit 1024] [--out DIR] [CORPUS.jsonl ...]

For each corpus (default: `../shared/data/dev_newsroom.jsonl` and
`dev_summeval.jsonl`) and each real tokenizer (BART's byte-level BPE and
PEGASUS's sentencepiece, `../shared/model-shapes/tokenizers/`), every article
is read as the service reads it and fitted to --limit tokens by the production
policy (models.abstractive.model_input.fit_article: whole sentences in TextRank
order, then article order). Counted: articles over the limit, and for those the
share of their sentences (and of their tokens) the model still reads. Writes
long_input.{json,md} to --out.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from newsum.benchmarks.output import RESULTS, SHARED, publish

CORPORA = [SHARED / "data" / "dev_newsroom.jsonl", SHARED / "data" / "dev_summeval.jsonl"]
TOKENIZERS = {"bart": SHARED / "model-shapes" / "tokenizers" / "bart",
              "pegasus": SHARED / "model-shapes" / "tokenizers" / "pegasus"}  # fmt: skip
BART_INPUT_TOKENS = 1024  # BART's and PEGASUS-CNN's max_position_embeddings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpora", nargs="*", type=Path, default=CORPORA)
    parser.add_argument("--limit", type=int, default=BART_INPUT_TOKENS)
    parser.add_argument("--out", type=Path, default=RESULTS / "long_input")
    args = parser.parse_args()

    from transformers import AutoTokenizer

    from newsum.models.article import read_article

    tokenizers = {
        family: AutoTokenizer.from_pretrained(folder, local_files_only=True)
        for family, folder in TOKENIZERS.items()
    }
    rows = []
    for corpus in args.corpora:
        with corpus.open(encoding="utf-8") as handle:
            articles = [read_article(json.loads(line)["article"]) for line in handle]
        for family, tokenizer in tokenizers.items():
            rows.append(measure(corpus.stem, family, tokenizer, articles, args.limit))
    report = {"limit": args.limit, "rows": rows}
    publish(args.out, "long_input", report, _markdown(report))
    return 0


def measure(
    corpus: str, family: str, tokenizer: Any, articles: list[Any], limit: int
) -> dict[str, Any]:
    """One corpus under one tokenizer: lengths, and what the policy keeps of the long ones."""
    from newsum.models.abstractive.model_input import fit_article

    lengths, kept_sentences, kept_tokens = [], [], []
    for article in articles:
        everything = " ".join(s.text for s in article.sentences)
        length = len(tokenizer(everything, verbose=False)["input_ids"])
        lengths.append(length)
        if length > limit:
            fitted = fit_article(article, tokenizer, "", limit)
            kept_sentences.append(len(fitted.sentences) / len(article.sentences))
            kept_tokens.append(fitted.input_tokens / length)
    return {
        "corpus": corpus,
        "tokenizer": family,
        "articles": len(articles),
        "median_tokens": statistics.median(lengths),
        "max_tokens": max(lengths),
        "over_limit": len(kept_sentences),
        "kept_sentence_share_median": _median(kept_sentences),
        "kept_sentence_share_min": min(kept_sentences, default=None),
        "kept_token_share_median": _median(kept_tokens),
    }


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _markdown(report: dict[str, Any]) -> str:
    def share(value: float | None) -> str:
        return "—" if value is None else f"{value:.0%}"

    lines = [
        f"# Articles over {report['limit']:,} real tokens, and what the long-input policy keeps",
        "",
        "| corpus | tokenizer | articles | median tokens | longest | over the limit "
        "| sentences kept, median (lowest) | tokens kept, median |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in report["rows"]:
        lines.append(
            f"| {r['corpus']} | {r['tokenizer']} | {r['articles']} | {r['median_tokens']:.0f} "
            f"| {r['max_tokens']:,} | {r['over_limit']} ({r['over_limit'] / r['articles']:.0%}) "
            f"| {share(r['kept_sentence_share_median'])} ({share(r['kept_sentence_share_min'])}) "
            f"| {share(r['kept_token_share_median'])} |"
        )
    return "\n".join([*lines, ""])


if __name__ == "__main__":
    sys.exit(main())
