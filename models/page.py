"""An article page (HTML) into the article's text, title and description.

The main text comes from trafilatura (Barbaresi 2021), which keeps paragraph
breaks and drops navigation, comments, related links and footers. Its
repeated-segment filter gets a fresh cache for every page: with its default,
process-wide cache, a page posted twice loses the paragraphs it was seen with
before (and a third post, everything), so one request would change what
another reads. When the precise extraction finds nothing (a teaser, a
gallery, a live blog of short posts), the recall-favouring extraction runs,
then trafilatura's baseline (the page's paragraph-like text), then the page's
visible text as a browser would show it. The page's own
description (`og:description`, `<meta name="description">`) is often its
standfirst; the caller decides whether to use it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

from newsum.models.errors import EmptyInput
from newsum.models.segment import BLANK_CLASS

# trafilatura logs ERROR for every page it cannot parse; for us that is a 422, not news.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
log = logging.getLogger("newsum.page")

Extractor = Literal["precise", "recall", "baseline", "visible"]
# Segments a page may repeat before the filter drops them (trafilatura's default).
_DUPLICATES_PER_PAGE = 4096
# Elements whose text a browser does not show.
_NOT_SHOWN = ("script", "style", "noscript", "template")
# A tag: no "<" or ">" inside, so a search never rescans (linear in the page).
_TAG = re.compile(r"<[^<>]*>")
# A page with a character outside markup that is not blank: what `read_page`
# always finds text in (JSON Schema's `pattern`, for the OpenAPI document).
VISIBLE_TEXT_PATTERN = f"^[^<]*[^<{BLANK_CLASS}]|>[^<]*[^<{BLANK_CLASS}]"
# Titles and descriptions longer than this are not a headline or a standfirst.
MAX_TITLE_CHARS = 1_000
MAX_DESCRIPTION_CHARS = 2_000


@dataclass(frozen=True, slots=True)
class Page:
    text: str
    title: str | None
    description: str | None
    extractor: Extractor  # which step found the text


def read_page(raw: bytes) -> Page:
    """The main text of an article page, paragraphs on their own lines, its title and description.

    trafilatura reads the page's charset from the bytes (a `<meta charset>`
    declaration, else detection). Raises EmptyInput when no step finds text.
    """
    found = _first_text(raw)
    if found is None:
        raise EmptyInput(f"no article text found in the HTML page ({len(raw)} bytes)")
    text, extractor = found
    title, description = _title_and_description(raw)
    return Page(
        text, _short(title, MAX_TITLE_CHARS), _short(description, MAX_DESCRIPTION_CHARS), extractor
    )


def _title_and_description(raw: bytes) -> tuple[str | None, str | None]:
    # trafilatura.extract_metadata's steps for these two, from its meta tags and JSON-LD.
    # The rest of it (authors, sitename, categories, licence, and htmldate's date search)
    # goes unused, and the date search runs regexes over the whole page in single calls that
    # hold the GIL: 128 ms for one on a 2 MB page, stalling every other request and /healthz.
    from trafilatura.metadata import examine_meta, extract_meta_json, extract_title
    from trafilatura.utils import load_html

    tree = load_html(raw)
    if tree is None:
        return None, None
    metadata = examine_meta(tree)
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception:  # trafilatura's own guard: its JSON-LD reader has bugs on odd pages
        log.debug("JSON-LD metadata could not be read", exc_info=True)
    return metadata.title or extract_title(tree), metadata.description


def _first_text(raw: bytes) -> tuple[str, Extractor] | None:
    import trafilatura
    from trafilatura.deduplication import LRUCache

    for extractor, favor_recall in (("precise", False), ("recall", True)):
        text = trafilatura.extract(
            raw,
            output_format="txt",
            include_comments=False,
            include_tables=False,
            favor_recall=favor_recall,
            # Repeats within this page only: no state shared across requests.
            deduplicate=LRUCache(maxsize=_DUPLICATES_PER_PAGE),
        )
        if text and text.strip():
            return text, extractor  # type: ignore[return-value]
    _, text, _ = trafilatura.baseline(raw)
    if text and text.strip():
        return text, "baseline"
    text = _visible_text(raw)
    return (text, "visible") if text.strip() else None


def _visible_text(raw: bytes) -> str:
    """All the text a browser would show, for a page with no article structure at all.

    lxml's parse without scripts and styles; a body lxml cannot parse (control
    characters, a fragment) loses its tags by a linear regular expression
    instead, so any character outside markup is kept.
    """
    import html

    from lxml import etree
    from lxml import html as lxml_html
    from trafilatura.utils import decode_file

    markup = decode_file(raw)
    try:
        tree = lxml_html.document_fromstring(markup)
        etree.strip_elements(tree, *_NOT_SHOWN, with_tail=False)
        return str(tree.text_content())
    except (etree.ParserError, ValueError):
        return html.unescape(_TAG.sub(" ", markup))


def _short(value: str | None, most: int) -> str | None:
    value = " ".join(value.split()) if value else None
    return value[:most] if value else None
