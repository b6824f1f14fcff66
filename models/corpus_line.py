"""The corpus line: one article as a JSON object, read alike by every way in (../shared/API.md).

`POST /v1/summarize/batch`, `newsum batch` and `newsum bench` take the same line:
the article's `text` (or `article`, its alias, as the benchmark corpora call it),
an optional `id`, the options of a summarize request, and the fields the
benchmark corpora carry beside each article (`CORPUS_FIELDS`), which
summarising ignores. Any other field is an error that names the known field it
may have meant (`unknown_field`), so a misspelt option is never silently dropped.
The service's schema (`service.contract.schemas.BatchRequestLine`) publishes
these names, and a test holds it to this module.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

TEXT = "text"
TEXT_ALIAS = "article"  # what the benchmark corpora (../shared/data) call the text
# The options of a summarize request (service.contract.schemas.SummarizeRequest).
REQUEST_OPTIONS = ("title", "standfirst", "methods", "max_sentences", "textrank_pick", "model",
                   "language", "generation")  # fmt: skip
# What the benchmark corpora (../shared/data/README.md) carry beside the article. `newsum
# bench` scores against the references; summarising reads none of these.
CORPUS_FIELDS = {
    "reference": "The reference summary (a string or a list of them) `newsum bench` "
    "scores against.",
    "references": "Several reference summaries; `newsum bench` scores against the best "
    "(and takes them over `reference`).",
    "reference_raw": "The reference as tokenised in its source.",
    "reference_content_word_coverage": "The share of the reference's content words found "
    "in the article.",
    "summary": "A system's summary of the article, with its faithfulness label.",
    "faithful": "Whether `summary` is faithful to the article.",
    "consistent_share": "The share of annotators who judged `summary` consistent.",
    "source": "The data set the article comes from.",
    "publisher": "Who published the article.",
    "provenance": "Where the record was taken from.",
}
# Every field a line may hold, in the order the service's schema lists them.
LINE_FIELDS = (TEXT, TEXT_ALIAS, *REQUEST_OPTIONS, "id", *CORPUS_FIELDS)


def unknown_field(name: str, known: Sequence[str]) -> str:
    """What is said of a field not in `known`: the known one it may have meant, else all of them."""
    # `article` where no alias is taken (POST /v1/summarize): the text, not the closest spelling.
    close = [TEXT] if name == TEXT_ALIAS and TEXT in known else []
    close = close or difflib.get_close_matches(name, known, n=1)
    if close:
        return f'unknown field; did you mean "{close[0]}"?'
    return f"unknown field; known: {', '.join(known)}"
