"""The costliest valid request of each endpoint, against the sample article's, side by side.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python -m newsum.benchmarks.perf.worst_case
        [--repeats 3]
        [--encoder bundled|none] [--only NAME ...]
        [--max-article-chars 100000] [--max-sentences 2000] [--max-summary-chars 20000]
        [--max-body-bytes 2000000] [--out DIR]
    python -m newsum.benchmarks.perf.worst_case --url http://127.0.0.1:PORT [--seconds 10]

Builds, within the service's limits (its defaults unless told otherwise), the
inputs that cost the most per request: two paragraphs of thousands of distinct
words with few sentence breaks (ROUGE-L's LCS is quadratic in tokens), the
most sentences allowed, with few or with all pairs sharing a word (TextRank's
graph is quadratic in sentences), all words distinct (large term sets), tens
of thousands of boilerplate lines, the longest summary of many short or a few
long sentences for attribution, an article and summary made of figures (every
number is looked up), and an article page filling the body limit.

In process (the default) it prints the CPU time (`time.process_time`) of each
request's models-level work, median of --repeats, against the sample article's
(tests/data/sample_article.txt) for the same endpoint and options, with the
ratio and the ratio divided by the length ratio: 1 means the cost grows like
the length. Torch runs on one thread, and BLAS should (the environment above),
as the CPU time of threads spinning on a busy machine counts too.

With --url it sends the same inputs to a running server (loopback only) and
reports wall time per request, then keeps 4 client threads sending them for
--seconds while a 5th polls GET /healthz, and reports /healthz p50/p99/max and the
status codes seen (503 overloaded and 504 are answers under load; a 500 is a
defect). Writes worst_case.{json,md} (worst_case_http.{json,md} with --url) to --out.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from newsum.benchmarks.output import CHECKOUT, RESULTS, publish
from newsum.models.article import Limits, read_article
from newsum.models.embeddings import SentenceEncoder, load_encoder
from newsum.models.summarize import attribute_summary, summarize
from newsum.models.textrank import MAX_SUMMARY_SENTENCES

SAMPLE = CHECKOUT / "tests" / "data" / "sample_article.txt"
# 18 consonants x 5 vowels: three syllables make 729,000 distinct six-letter words.
_SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"]
# Every other word is a function word, so the text reads (and is identified) as English.
_FUNCTION_WORDS = (
    "the", "of", "and", "in", "to", "a", "was", "for", "said", "that", "with", "from", "has",
    "have", "been", "would",
)  # fmt: skip
# The service's defaults (service/settings.py, which a benchmark may not import).
_MAX_SUMMARY_CHARS = 20_000
_MAX_BODY_BYTES = 2_000_000
# How service/web/bodies.py calls trafilatura on a text/html body.
_HTML_OPTIONS: dict[str, Any] = {
    "output_format": "txt", "include_comments": False, "include_tables": False,
    "deduplicate": True,
}  # fmt: skip
# Each page paragraph opens with this word; every send replaces it with a fresh
# one of the same length, as trafilatura's deduplication drops text it has seen
# three times in a process, so a resent page would come back empty (422).
_PAGE_MARK = b"Qzzzzzz"
_HTTP_TIMEOUT_S = 300
_LOAD_CLIENTS = 4
_HEALTH_POLL_S = 0.05


@dataclass(frozen=True)
class Case:
    """One request, and the sample request it is set against."""

    name: str
    endpoint: str  # "summarize", "html" or "attribute"
    text: str = ""
    summary: str | None = None
    max_sentences: int = 3
    encoder: bool = False
    html: bytes | None = None
    baseline: str = ""

    @property
    def size(self) -> int:
        """Request length: characters of text and summary, or bytes of the page."""
        if self.html is not None:
            return len(self.html)
        return len(self.text) + len(self.summary or "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--encoder", default="bundled", help="`bundled`, a folder, or `none`")
    parser.add_argument("--max-article-chars", type=int, default=Limits().max_chars)
    parser.add_argument("--max-sentences", type=int, default=Limits().max_sentences)
    parser.add_argument("--max-summary-chars", type=int, default=_MAX_SUMMARY_CHARS)
    parser.add_argument("--max-body-bytes", type=int, default=_MAX_BODY_BYTES)
    parser.add_argument("--url", help="a server on the loopback, e.g. http://127.0.0.1:8000")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the load phase")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run this case (repeatable; samples always run)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "worst_case")
    args = parser.parse_args()

    cases = build_cases(args)
    if args.only:
        cases = [c for c in cases if c.name in args.only or not c.baseline]
    if args.url:
        if urlsplit(args.url).hostname not in {"127.0.0.1", "localhost", "::1"}:
            raise SystemExit("--url must be a loopback address")
        report = _over_http(args.url, cases, args.seconds)
    else:
        limits = Limits(args.max_article_chars, args.max_sentences)
        report = _in_process(cases, args.repeats, limits, args.encoder)
    report["limits"] = {
        "max_article_chars": args.max_article_chars,
        "max_sentences": args.max_sentences,
        "max_summary_chars": args.max_summary_chars,
        "max_body_bytes": args.max_body_bytes,
    }
    publish(args.out, "worst_case_http" if args.url else "worst_case", report, _markdown(report))
    return 0


# Inputs.


def build_cases(args: argparse.Namespace) -> list[Case]:
    sample = SAMPLE.read_text(encoding="utf-8")
    sample_summary = " ".join(sample.splitlines()[1:3])
    chars, sentences = args.max_article_chars, args.max_sentences
    summary_chars = args.max_summary_chars
    long = two_long_paragraphs(chars)
    many = many_sentences(chars, sentences)
    linked = many_sentences(chars, sentences, shared_word=True)
    distinct = distinct_words(chars)
    most = MAX_SUMMARY_SENTENCES
    short_summary = copied_sentences(many, summary_chars, 40)
    return [
        Case("sample", "summarize", sample),
        Case("sample, 50", "summarize", sample, max_sentences=most),
        Case("sample page", "html", html=article_page(sample, 0)),
        Case("sample attribute", "attribute", sample, sample_summary),
        Case("sample attribute, encoder", "attribute", sample, sample_summary, encoder=True),
        Case("two long paragraphs", "summarize", long, baseline="sample"),
        Case("two long paragraphs, 50", "summarize", long, max_sentences=most,
             baseline="sample, 50"),
        Case("most sentences", "summarize", many, baseline="sample"),
        Case("most sentences, 50", "summarize", many, max_sentences=most, baseline="sample, 50"),
        Case("most sentences, all linked, 50", "summarize", linked, max_sentences=most,
             baseline="sample, 50"),
        Case("distinct words, 50", "summarize", distinct, max_sentences=most,
             baseline="sample, 50"),
        Case("boilerplate lines", "summarize", boilerplate_lines(chars), baseline="sample"),
        Case("largest page", "html", html=article_page(many, args.max_body_bytes),
             baseline="sample page"),
        Case("attribute short sentences", "attribute", many, short_summary,
             baseline="sample attribute"),
        Case("attribute long sentences", "attribute", long,
             copied_sentences(long, summary_chars, summary_chars // 4 - 20),
             baseline="sample attribute"),
        Case("attribute distinct words", "attribute", distinct,
             copied_sentences(distinct, summary_chars, 40), baseline="sample attribute"),
        Case("attribute figures", "attribute", figures_article(chars),
             figures_summary(summary_chars), baseline="sample attribute"),
        Case("attribute short sentences, encoder", "attribute", many, short_summary,
             encoder=True, baseline="sample attribute, encoder"),
    ]  # fmt: skip


def word(index: int) -> str:
    """The index-th pseudo-word: distinct indices give distinct words."""
    syllables = []
    for _ in range(3):
        index, syllable = divmod(index, len(_SYLLABLES))
        syllables.append(_SYLLABLES[syllable])
    return "".join(syllables)


def prose(
    words: list[str],
    sentence_chars: int,
    paragraph_sentences: int,
    chars: int,
    sentences: int = sys.maxsize,
) -> str:
    """`words`, each followed by a function word, in sentences of about `sentence_chars`,
    paragraphs of `paragraph_sentences`, at most `chars` characters and `sentences` sentences."""
    paragraphs: list[list[str]] = [[]]
    current: list[str] = []
    length = count = 0
    for i, content in enumerate(words):
        current += [content, _FUNCTION_WORDS[i % len(_FUNCTION_WORDS)]]
        if sum(len(w) + 1 for w in current) < sentence_chars:
            continue
        sentence = " ".join(current).capitalize() + "."
        current = []
        if length + len(sentence) + 1 > chars or count == sentences:
            break
        if len(paragraphs[-1]) == paragraph_sentences:
            paragraphs.append([])
        paragraphs[-1].append(sentence)
        length += len(sentence) + 1
        count += 1
    return "\n".join(" ".join(p) for p in paragraphs if p)


def two_long_paragraphs(chars: int) -> str:
    """Two paragraphs of distinct words, a sentence break every ~7,000 characters."""
    words = [word(i) for i in _distinct_ids(1, chars // 6)]
    half = chars // 2 - 1
    sentence = min(7_000, half // 4)
    first = prose(words[: len(words) // 2], sentence, sys.maxsize, half)
    return f"{first}\n{prose(words[len(words) // 2 :], sentence, sys.maxsize, half)}"


def many_sentences(chars: int, sentences: int, *, shared_word: bool = False) -> str:
    """As many short sentences as allowed, four to a paragraph, over 2,000 words;
    with `shared_word` each opens with the same word, so every pair is an edge."""
    rng = random.Random(2)
    vocabulary = [word(i) for i in _distinct_ids(2, 2_000)]
    words = [rng.choice(vocabulary) for _ in range(chars // 5)]
    if shared_word:
        words[::3] = ["kodeti"] * len(words[::3])
    # Sentence ends and paragraph breaks count: fit `sentences` sentences into `chars`.
    return prose(words, chars // sentences - 12, 4, chars, sentences)


def distinct_words(chars: int) -> str:
    """No word twice: every term set is as large as the text allows."""
    return prose([word(i) for i in _distinct_ids(3, chars // 6)], 150, 5, chars)


def boilerplate_lines(chars: int) -> str:
    """A short story under one-character copyright lines, each a boilerplate unit."""
    story = "Kodeti of the bafoku said the talks went on. The talks ended on Monday."
    return f"{story}\n" + "©\n" * ((chars - len(story) - 1) // 2)


def figures_article(chars: int) -> str:
    """Every content word a distinct number: the fact index is as large as it gets."""
    rng = random.Random(4)
    return prose([f"{rng.randrange(10**6):,}" for _ in range(chars // 6)], 100, 5, chars)


def figures_summary(chars: int) -> str:
    """Numbers the article lacks, in short sentences: each is looked up and missed."""
    rng = random.Random(5)
    numbers = [f"{rng.randrange(10**6, 10**7):,}" for _ in range(chars // 6)]
    return prose(numbers, 40, sys.maxsize, chars)


def copied_sentences(article: str, chars: int, sentence_chars: int) -> str:
    """The article's content words in sentences of about `sentence_chars`, `chars` in all."""
    return prose(article.replace(".", "").split()[::2], sentence_chars, sys.maxsize, chars)


def article_page(text: str, body_bytes: int) -> bytes:
    """`text` as an article page, padded with navigation links up to `body_bytes`."""
    paragraphs = "".join(f"<p>{_PAGE_MARK.decode()} {line}</p>\n" for line in text.splitlines())
    head = "<!DOCTYPE html><html><head><title>Worst case</title></head><body>\n"
    article = f"<article><h1>Worst case</h1>\n{paragraphs}</article>\n</body></html>\n"
    link = '<li><a href="/section/{0}" class="nav-link">Section {0}</a></li>\n'
    room = body_bytes - len((head + article).encode()) - len("<nav><ul>\n</ul></nav>\n")
    links: list[str] = []
    for i in itertools.count():
        item = link.format(i)
        if len(item) > room:
            break
        links.append(item)
        room -= len(item)
    navigation = f"<nav><ul>\n{''.join(links)}</ul></nav>\n" if links else ""
    return (head + navigation + article).encode()


def fresh_page(page: bytes, serial: int) -> bytes:
    """`page` with its paragraph mark replaced by one no page sent before had."""
    mark = f"Q{serial:0{len(_PAGE_MARK) - 1}d}".encode()
    return page.replace(_PAGE_MARK, mark[: len(_PAGE_MARK)])


def _distinct_ids(seed: int, count: int) -> list[int]:
    return random.Random(seed).sample(range(len(_SYLLABLES) ** 3), count)


# In process.


def _in_process(cases: list[Case], repeats: int, limits: Limits, encoder: str) -> dict[str, Any]:
    loaded = load_encoder(encoder) if any(c.encoder for c in cases) else None
    if loaded is not None:
        import torch

        torch.set_num_threads(1)
    rows: dict[str, dict[str, Any]] = {}
    for case in cases:
        run = _request(case, limits, loaded)
        run()  # warm-up: caches, lazy imports, the encoder's first batch
        times = []
        for _ in range(repeats):
            started = time.process_time()
            run()
            times.append(time.process_time() - started)
        rows[case.name] = {"endpoint": case.endpoint, "size": case.size,
                           "cpu_ms": 1000 * statistics.median(times)}  # fmt: skip
        print(f"{case.name}: {rows[case.name]['cpu_ms']:.1f} ms", file=sys.stderr)
    _add_ratios(rows, cases, "cpu_ms")
    return {"mode": "in process", "repeats": repeats, "encoder": encoder, "cases": rows}


def _request(case: Case, limits: Limits, encoder: SentenceEncoder | None) -> Callable[[], object]:
    """The models-level work of one request (what the service runs for it)."""
    if case.endpoint == "attribute":
        assert case.summary is not None
        summary, chosen = case.summary, encoder if case.encoder else None
        return lambda: attribute_summary(
            read_article(case.text, limits=limits), summary, encoder=chosen
        )
    if case.endpoint == "summarize":
        return lambda: _summarize(case.text, None, case, limits)

    import trafilatura
    import trafilatura.deduplication

    def page() -> object:
        # A page is new to the service; here the same one is read again and again.
        trafilatura.deduplication.LRU_TEST.clear()
        text = trafilatura.extract(case.html, **_HTML_OPTIONS)
        metadata = trafilatura.extract_metadata(case.html)
        return _summarize(text or "", metadata.title if metadata else None, case, limits)

    return page


def _summarize(text: str, title: str | None, case: Case, limits: Limits) -> object:
    article = read_article(text, title=title, limits=limits)
    return summarize(article, methods=["textrank"], max_sentences=case.max_sentences)


def _add_ratios(rows: dict[str, dict[str, Any]], cases: list[Case], key: str) -> None:
    for case in cases:
        base = rows.get(case.baseline)
        if base is None or case.name not in rows:
            continue
        ratio = rows[case.name][key] / base[key]
        length = case.size / base["size"]
        rows[case.name].update(
            {"vs": case.baseline, "ratio": ratio, "length_ratio": length,
             "ratio_per_length": ratio / length}
        )  # fmt: skip


# Over HTTP.


def _over_http(url: str, cases: list[Case], seconds: float) -> dict[str, Any]:
    # The server's own encoder setting decides; the encoder cases repeat the others.
    cases = [c for c in cases if not c.encoder]
    serials = itertools.count()
    rows: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=url, timeout=_HTTP_TIMEOUT_S) as client:
        for case in cases:
            started = time.perf_counter()
            status = _send(client, case, next(serials))
            rows[case.name] = {"endpoint": case.endpoint, "size": case.size, "status": status,
                               "wall_ms": 1000 * (time.perf_counter() - started)}  # fmt: skip
            print(f"{case.name}: {status} {rows[case.name]['wall_ms']:.0f} ms", file=sys.stderr)
    _add_ratios(rows, cases, "wall_ms")
    load = _load(url, [c for c in cases if c.baseline], seconds, serials)
    return {"mode": "over HTTP", "url": url, "cases": rows, "load": load}


def _send(client: httpx.Client, case: Case, serial: int) -> int:
    if case.html is not None:
        response = client.post(
            "/v1/summarize", params={"methods": "textrank"}, content=fresh_page(case.html, serial),
            headers={"content-type": "text/html; charset=utf-8"},
        )  # fmt: skip
    elif case.endpoint == "summarize":
        body = {"text": case.text, "methods": ["textrank"], "max_sentences": case.max_sentences}
        response = client.post("/v1/summarize", json=body)
    else:
        response = client.post("/v1/attribute", json={"text": case.text, "summary": case.summary})
    return response.status_code


def _load(
    url: str, cases: list[Case], seconds: float, serials: itertools.count[int]
) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    statuses: dict[str, dict[str, int]] = {}
    health: list[float] = []
    health_statuses: dict[str, int] = {}
    lock = threading.Lock()

    def count(seen: dict[str, int], status: str) -> None:
        with lock:
            seen[status] = seen.get(status, 0) + 1

    def client(offset: int) -> None:
        with httpx.Client(base_url=url, timeout=_HTTP_TIMEOUT_S) as session:
            for i in itertools.count(offset):
                if time.monotonic() >= deadline:
                    break
                case = cases[i % len(cases)]
                try:
                    status = str(_send(session, case, next(serials)))
                except httpx.TimeoutException:
                    status = "client timeout"
                count(statuses.setdefault(case.name, {}), status)

    def poll() -> None:
        with httpx.Client(base_url=url, timeout=_HTTP_TIMEOUT_S) as session:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                status = str(session.get("/healthz").status_code)
                health.append(1000 * (time.perf_counter() - started))
                count(health_statuses, status)
                time.sleep(_HEALTH_POLL_S)

    # Clients start spread over the cases, so each kind is in flight early.
    offsets = [i * len(cases) // _LOAD_CLIENTS for i in range(_LOAD_CLIENTS)]
    threads = [threading.Thread(target=client, args=(offset,)) for offset in offsets]
    threads.append(threading.Thread(target=poll))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(health)
    return {
        "seconds": seconds,
        "clients": _LOAD_CLIENTS,
        "statuses": statuses,
        "server_errors": sum(s.get("500", 0) for s in statuses.values()),
        "healthz": {
            "polls": len(ordered),
            "statuses": health_statuses,
            "p50_ms": _percentile(ordered, 0.5),
            "p99_ms": _percentile(ordered, 0.99),
            "max_ms": ordered[-1] if ordered else None,
        },
    }


def _percentile(ordered: list[float], share: float) -> float | None:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else None


# Report.


def _markdown(report: dict[str, Any]) -> str:
    key, unit = ("cpu_ms", "CPU ms") if report["mode"] == "in process" else ("wall_ms", "wall ms")
    lines = [
        f"# Worst-case requests ({report['mode']})",
        "",
        f"Limits: {report['limits']}. Each case is set against the sample-article request "
        "it names; size is characters of text and summary (bytes of an HTML page); "
        "per length = ratio / size ratio.",
        "",
        f"| case | endpoint | size | {unit} | vs | ratio | size ratio | per length |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in report["cases"].items():
        ratios = (
            f"{row['vs']} | {row['ratio']:.1f} | {row['length_ratio']:.1f} | "
            f"{row['ratio_per_length']:.2f}"
            if "ratio" in row
            else " | | | "
        )
        status = f" ({row['status']})" if "status" in row else ""
        lines.append(
            f"| {name} | {row['endpoint']}{status} | {row['size']:,} | {row[key]:.1f} | {ratios} |"
        )
    load = report.get("load")
    if load:
        health = load["healthz"]
        lines += [
            "",
            f"Load: {load['clients']} clients for {load['seconds']:g} s; GET /healthz "
            f"p50 {health['p50_ms']:.1f} ms, p99 {health['p99_ms']:.1f} ms, "
            f"max {health['max_ms']:.1f} ms over "
            f"{health['polls']} polls ({health['statuses']}); 500s: {load['server_errors']}.",
            "",
            "| case | statuses |",
            "|---|---|",
            *(f"| {name} | {seen} |" for name, seen in load["statuses"].items()),
        ]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
