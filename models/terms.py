"""Words out of text, for TextRank's similarity and for ROUGE.

Unicode-aware throughout: letters, marks and digits of every script make words
(`regex` property classes, so Devanagari vowel signs or decomposed accents do
not split a word), and scripts written without spaces (Han, kana, Thai, Lao,
Khmer, Myanmar) fall back on characters, as is usual for ROUGE on Chinese and
Japanese. Stemming is Snowball (Porter 2001) where a stemmer exists for the
language.

Cost: an article's words are analysed in bulk, once per request (`analyse`):
`str.translate` and `split` for an ASCII sentence (a C-level regex pass for
others; per sentence, not per article, where one non-ASCII character would
widen a whole joined article), set lookups for stop words, stems looked up in
a fixed table of the language's most frequent words and one call of
PyStemmer's C `stemWords` for the rest, with no per-word Python function call.
Nothing is cached from the articles seen (the table comes from a word list),
so an article costs the same the first time as the thousandth, and a server's
speed does not depend on having seen the words before.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
from collections.abc import Sequence
from itertools import chain, filterfalse, islice, repeat

import regex
import Stemmer
import stopwordsiso

from models.types import TextWords

_NO_SPACE_SCRIPTS = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
# A fast path, for text with no character of those scripts and no combining
# marks (after NFC, Latin, Greek and Cyrillic text has none): the standard
# library's `re`, whose \w is Unicode letters and digits, is twice as fast as
# `regex` with script classes, and the pre-check costs a tenth of that.
_FAST_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# ASCII text needs no regex at all: every character that is not a letter, a digit
# or an apostrophe becomes a space and `str.split` cuts the words (about 40 % less
# time than findall on CNN/DM sentences); only a sentence with a quote mark made
# of apostrophes goes through `_FAST_WORD`.
_ASCII_SEPARATORS = str.maketrans(
    {c: " " for c in map(chr, range(128)) if not c.isalnum() and c != "'"}
)
_NEEDS_SCRIPT_CLASSES = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670"
    "\u06d6-\u06ed\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff"
    "\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\ua9e0-\ua9ff\uaa60-\uaa7f\uf900-\ufaff\ufe20-\ufe2f\uff66-\uff9f"
    "\U00020000-\U0003134f]"
)
_TOKEN = regex.compile(
    rf"(?P<run>[{_NO_SPACE_SCRIPTS}]+)"
    rf"|(?P<word>[[\p{{L}}\p{{M}}\p{{N}}]--[{_NO_SPACE_SCRIPTS}]]+"
    rf"(?:['’][[\p{{L}}\p{{M}}\p{{N}}]--[{_NO_SPACE_SCRIPTS}]]+)*)",
    regex.VERSION1,
)

# ISO 639-1 -> Snowball algorithm name.
_STEMMERS = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "et": "estonian", "eu": "basque",
    "fa": "persian", "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi",
    "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian",
    "lt": "lithuanian", "nl": "dutch", "no": "norwegian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
    "sv": "swedish", "ta": "tamil", "tr": "turkish",
}  # fmt: skip


def rouge_tokens(text: str) -> list[str]:
    """Case-folded words, and single characters for scripts written without spaces."""
    return _split(text)[0]


def analyse(texts: Sequence[str], language: str) -> list[TextWords]:
    """The words of every text (an article's sentences), stemmed in one call for all."""
    stop_words = _stop_words(language)
    # Tokens, the words to stem and the bigrams of spaceless runs, text by text.
    pieces = [_split(text) for text in texts]
    # (filterfalse with the set's own method: the loop over words runs in C.)
    is_stop_word = stop_words.__contains__
    content = [list(filterfalse(is_stop_word, words)) for _, words, _ in pieces]
    # Every content word of every text through the stemmer at once.
    stems = iter(_stem_all(list(chain.from_iterable(content)), language))
    return [
        TextWords(tuple(tokens), (*islice(stems, len(words)), *bigrams))
        for (tokens, _, bigrams), words in zip(pieces, content, strict=True)
    ]


def content_terms(text: str, language: str) -> tuple[list[str], int]:
    """Stemmed words without stop words (character bigrams for scripts without
    spaces), and the number of words the sentence has, stop words included."""
    (words,) = analyse([text], language)
    return list(words.terms), len(words.tokens)


def _split(text: str) -> tuple[list[str], list[str], list[str]]:
    """A text's tokens, its words (stemming candidates) and its spaceless runs' bigrams."""
    text = _normalise(text)
    # The common case: one C-level findall, no Match objects; tokens are the words.
    # (An ASCII sentence, most of English news, needs no scan for other scripts.)
    if text.isascii():
        tokens = _ascii_words(text)
        return tokens, tokens, []
    if not _NEEDS_SCRIPT_CLASSES.search(text):
        tokens = _FAST_WORD.findall(text)
        return tokens, tokens, []
    tokens, words, bigrams = [], [], []
    for run, word in _TOKEN.findall(text):
        if run:
            tokens.extend(run)
            bigrams.extend(_bigrams(run))
        else:
            tokens.append(word)
            words.append(word)
    return tokens, words, bigrams


def _ascii_words(text: str) -> list[str]:
    words = text.translate(_ASCII_SEPARATORS).split()
    if "'" not in text:
        return words
    # An apostrophe inside a word ("don't", "Obama's") keeps it one word, as the
    # regex does; at a word's edge it is a quote mark and goes (stripped in C,
    # by map); two in a row split a word, which only the regex does right.
    if "''" in text:
        return _FAST_WORD.findall(text)
    return list(filter(None, map(str.strip, words, repeat("'"))))


def _normalise(text: str) -> str:
    # NFC first, so a decomposed "é" is one letter; then case-fold and unify apostrophes.
    if text.isascii():  # nothing to compose, no apostrophe to unify
        return text.lower()
    return unicodedata.normalize("NFC", text).casefold().replace("’", "'")


def _bigrams(run: str) -> list[str]:
    # A lone character is its own term; otherwise overlapping pairs, which carry
    # far more meaning in Chinese and Japanese than single characters.
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


@functools.cache
def _stop_words(language: str) -> frozenset[str]:
    # stopwordsiso's lists are long (1,298 English words, against NLTK's 179);
    # on the dev set the long list gave TextRank +1.9 ROUGE-1 and +2.1 ROUGE-2.
    if language in stopwordsiso.langs():
        return frozenset(_normalise(word) for word in stopwordsiso.stopwords(language))
    return frozenset()


# How many of a language's most frequent words have their stem looked up, not computed.
_STEM_TABLE_WORDS = 50_000
# A stemmer per thread and language: PyStemmer's objects are not thread-safe,
# and the service analyses articles on several worker threads.
_stemmers = threading.local()


def _stem_all(words: list[str], language: str) -> list[str]:
    algorithm = _STEMMERS.get(language)
    if algorithm is None or not words:
        return words
    table = _stem_table(language)
    # The words the table lacks (a tenth of a news story's), each stemmed once.
    missing = list(set(words).difference(table))
    if not missing:
        return list(map(table.__getitem__, words))
    extra = dict(zip(missing, _stemmer(algorithm).stemWords(missing), strict=True))
    # Each word's stem from `extra`, else from the table; both lookups run in C (map).
    return list(map(extra.get, words, map(table.get, words)))


def _stemmer(algorithm: str) -> Stemmer.Stemmer:
    mine: dict[str, Stemmer.Stemmer] = _stemmers.__dict__.setdefault("by_algorithm", {})
    stemmer = mine.get(algorithm)
    if stemmer is None:
        # PyStemmer's own cache off (size 0): its hits cost 40 % of a stemming.
        stemmer = mine[algorithm] = Stemmer.Stemmer(algorithm, 0)
    return stemmer


@functools.cache
def _stem_table(language: str) -> dict[str, str]:
    """The stems of the language's most frequent words, made once per process.

    A Snowball stem costs about 0.6 µs a word through PyStemmer; a dict lookup
    a tenth of that. The table is made from wordfreq's word list (Speer 2022),
    not from articles seen, so every article costs the same whichever came
    before it; 50,000 English words cover 91 % of a CNN/DM story's content
    words and take 0.1 s and ~8 MB to make (at the service's warm-up).
    """
    import wordfreq  # imported here: its lists load in a few hundred milliseconds

    logging.getLogger("wordfreq").setLevel(logging.ERROR)  # "using the nearest match"
    try:
        words = wordfreq.top_n_list(language, _STEM_TABLE_WORDS)
    except LookupError:  # no list for the language: every word is stemmed
        return {}
    stems: list[str] = Stemmer.Stemmer(_STEMMERS[language], 0).stemWords(words)
    return dict(zip(words, stems, strict=True))
