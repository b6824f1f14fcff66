"""How well article pages are read: each test page against what a reader sees, and re-reads.

    python -m research.pages [--pages tests/data/pages] [--repeats 5]

For every page in the folder (its expected paragraphs in expected.json), reads
it with `models.page.read_page` `--repeats` times in one process and prints:
the extractor that found the text, the share of the reader's paragraphs found
whole, token precision / recall / F1 of the read text against those paragraphs
(words, or characters for scripts without spaces), and whether every re-read
gave the same text. Writes research/results/pages/pages.{json,md}.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from newsum.models.page import read_page
from newsum.models.terms import rouge_tokens

ROOT = Path(__file__).parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=ROOT / "tests" / "data" / "pages")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "research" / "results" / "pages")
    args = parser.parse_args(argv)
    expected = json.loads((args.pages / "expected.json").read_text("utf-8"))
    rows = []
    for name, truth in sorted(expected.items()):
        raw = (args.pages / f"{name}.html").read_bytes()
        reads = [read_page(raw) for _ in range(args.repeats)]
        page = reads[0]
        found = sum(p in page.text for p in truth["paragraphs"])
        complete = found == len(truth["paragraphs"])
        precision, recall, f1 = _token_f1(page.text, "\n".join(truth["paragraphs"]))
        rows.append(
            {
                "page": name,
                "extractor": page.extractor,
                "paragraphs_found": f"{found}/{len(truth['paragraphs'])}",
                "complete": complete,
                "precision": round(precision, 3),
                "recall": round(recall, 3),
                "f1": round(f1, 3),
                "same_text_every_read": len({r.text for r in reads}) == 1,
                "description_found": page.description == truth["description"],
            }
        )
    read = sum(bool(r["complete"]) for r in rows)
    lines = [
        f"{len(rows)} pages, {read} read with every paragraph a reader sees; "
        f"mean token F1 {sum(r['f1'] for r in rows) / len(rows):.3f}; "
        f"{args.repeats} reads each, same text every time: "
        f"{all(r['same_text_every_read'] for r in rows)}",
        "",
        "| page | extractor | paragraphs | precision | recall | F1 | same every read |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['page']} | {r['extractor']} | {r['paragraphs_found']} | {r['precision']} | "
        f"{r['recall']} | {r['f1']} | {r['same_text_every_read']} |"
        for r in rows
    ]
    print("\n".join(lines))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pages.json").write_text(json.dumps(rows, indent=1), "utf-8")
    (args.out / "pages.md").write_text("\n".join(lines) + "\n", "utf-8")
    return 0


def _token_f1(read: str, truth: str) -> tuple[float, float, float]:
    got, want = Counter(rouge_tokens(read)), Counter(rouge_tokens(truth))
    common = sum((got & want).values())
    precision = common / max(1, sum(got.values()))
    recall = common / max(1, sum(want.values()))
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return precision, recall, f1


if __name__ == "__main__":
    raise SystemExit(main())
