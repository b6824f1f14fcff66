"""Words out of text, for TextRank's similarity and for ROUGE.

Unicode-aware throughout: letters, marks and digits of every script make words
(`regex` property classes, so Devanagari vowel signs or decomposed accents do
not split a word), and scripts written without spaces (Han, kana, Thai, Lao,
Khmer, Myanmar) fall back on characters, as is usual for ROUGE on Chinese and
Japanese. Stemming is Snowball (Porter 2001) where a stemmer exists for the
language.

Cost: an article's words are analysed in bulk, once per request (`analyse`):
its sentences are joined into one text, which a bytes translation and
`str.split` cut into words in C (news punctuation replaced as bytes; only the
few chunks still holding a non-ASCII character are normalised and matched by a
regex); one lookup per word in a fixed table tells stop words from content
words and gives most stems, and one call of PyStemmer's C `stemWords` stems the
rest; then the words are cut apart into sentences again. Nothing is cached from
the articles seen (the table comes from a word list), so an article costs the
same the first time as the thousandth, and a server's speed does not depend on
having seen the words before.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import operator
import re
import threading
import unicodedata
from collections.abc import Sequence
from itertools import compress, count, repeat

import regex
import Stemmer
import stopwordsiso

from newsum.models.types import TextWords

_NO_SPACE_SCRIPTS = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
# A fast path, for text with no character of those scripts and no combining
# marks (after NFC, Latin, Greek and Cyrillic text has none): the standard
# library's `re`, whose \w is Unicode letters and digits, is twice as fast as
# `regex` with script classes, and the pre-check costs a tenth of that.
_FAST_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Texts analysed together are joined with this between them: a control character,
# never part of a word, kept as a token of its own by every tokenising path (a
# text holding it has it replaced with a space first), and its own stem.
_CUT = "\x00"
_JOINER = f" {_CUT} "
# Most of a text needs no regex and no Unicode case folding: every ASCII character
# that is not a letter, a digit or an apostrophe (nor the cut) separates words, so
# one bytes translation of the UTF-8 text (which keeps ASCII bytes ASCII), which
# also lower-cases ASCII letters, and `str.split` cut the words in C, 5-10x faster
# than findall over a news story.
_ASCII_WORD_BYTES = bytes.maketrans(
    bytes(range(128)),
    bytes(
        ord(chr(c).lower()) if chr(c).isalnum() or chr(c) in ("'", _CUT) else ord(" ")
        for c in range(128)
    ),
)
# (character, what it becomes) for the non-ASCII characters of English news (and
# others'): the curly apostrophe is an apostrophe, as `_normalise` makes it; the
# rest are separators to the regex (\W), as a space is. Each is one bytes
# replacement: cheaper than the regex on every chunk that holds one.
_NEWS_PUNCTUATION = tuple(
    (character.encode(), replacement.encode())
    for character, replacement in (
        ("’", "'"), ("‘", " "), ("“", " "), ("”", " "), ("–", " "), ("—", " "),
        ("…", " "), ("£", " "), ("€", " "), ("\xa0", " "),
    )
)  # fmt: skip
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
    return _split_all([text])[0]


def analyse(texts: Sequence[str], language: str) -> list[TextWords]:
    """The words of every text (an article's sentences), analysed as one text.

    The texts are joined with `_CUT` between them, tokenised, filtered and
    stemmed in one pass each, then cut apart again: per-text work costs more
    than the words themselves on a news story's 15-40 sentences.
    """
    if not texts:
        return []
    tokens, words, bigrams = _split_all(texts)
    terms = _cut(_terms(words, language), len(texts))
    if bigrams is None:
        return list(map(TextWords, _cut(tokens, len(texts)), terms))
    return [
        TextWords(text_tokens, (*text_terms, *text_bigrams))
        for text_tokens, text_terms, text_bigrams in zip(
            _cut(tokens, len(texts)), terms, bigrams, strict=True
        )
    ]


def content_terms(text: str, language: str) -> tuple[list[str], int]:
    """Stemmed words without stop words (character bigrams for scripts without
    spaces), and the number of words the sentence has, stop words included."""
    (words,) = analyse([text], language)
    return list(words.terms), len(words.tokens)


def _split_all(texts: Sequence[str]) -> tuple[list[str], list[str], list[list[str]] | None]:
    """The texts' tokens and words (the stemming candidates), `_CUT` between texts, and
    each text's bigrams of spaceless runs (None when no text has such a run)."""
    joined = _JOINER.join(texts)
    if joined.count(_CUT) != len(texts) - 1:
        # A text holds the cut character itself: a non-word character, as a space is.
        joined = _JOINER.join(text.replace(_CUT, " ") for text in texts)
    # The common case: no Match objects, tokens are the words.
    plain = _plain_words(joined)
    if plain is not None:
        return plain, plain, None
    # Some text needs the script classes: each text is split on its own, as before
    # the texts were joined (`re` and `regex` know different Unicode versions, so
    # which regex splits a text must not depend on its neighbours).
    tokens: list[str] = []
    words: list[str] = []
    bigrams: list[list[str]] = []
    for piece in _normalise(joined).split(_JOINER):
        piece_tokens, piece_words, piece_bigrams = _split_one(piece)
        tokens += (*piece_tokens, _CUT)
        words += (*piece_words, _CUT)
        bigrams.append(piece_bigrams)
    return tokens[:-1], words[:-1], bigrams


def _split_one(text: str) -> tuple[list[str], list[str], list[str]]:
    """A normalised text's tokens, its words and its spaceless runs' bigrams."""
    if not _NEEDS_SCRIPT_CLASSES.search(text):
        plain = _FAST_WORD.findall(text)
        return plain, plain, []
    tokens, words, bigrams = [], [], []
    for run, word in _TOKEN.findall(text):
        if run:
            tokens.extend(run)
            bigrams.extend(_bigrams(run))
        else:
            tokens.append(word)
            words.append(word)
    return tokens, words, bigrams


def _cut(joined: list[str], texts: int) -> list[tuple[str, ...]]:
    """`joined`'s runs between cuts, one per text."""
    whole = tuple(joined)  # slices of a tuple are the tuples wanted
    find = whole.index
    runs = []
    start = 0
    for _ in range(texts - 1):
        end = find(_CUT, start)
        runs.append(whole[start:end])
        start = end + 1
    runs.append(whole[start:])
    return runs


def _plain_words(text: str) -> list[str] | None:
    """`_FAST_WORD`'s words of the text once normalised (`_normalise`), cuts kept;
    None when the text needs the script classes (`_TOKEN`)."""
    spaced = b" " + text.encode().translate(_ASCII_WORD_BYTES) + b" "
    if not text.isascii():
        # News punctuation the regex would only cut at (or, for a curly apostrophe,
        # unify): as bytes, so that most news stories become ASCII here.
        for character, replacement in _NEWS_PUNCTUATION:
            spaced = spaced.replace(character, replacement)
    ascii_now = spaced.isascii()
    # An apostrophe inside a word ("don't", "Obama's") keeps it one word, as the
    # regex does; at a word's edge it is a quote mark and goes. In text now ASCII
    # with no two in a row that is an apostrophe next to a space, which two bytes
    # replacements drop; elsewhere (say, next to a thin space, no ASCII space) each
    # chunk is stripped. Two in a row split a word, which only the regex does right.
    doubled = b"''" in spaced
    if ascii_now and not doubled:
        chunks = spaced.replace(b" '", b" ").replace(b"' ", b" ").decode().split()
    else:
        chunks = list(filter(None, map(str.strip, spaced.decode().split(), repeat("'"))))
    # Only the chunks the split cannot settle are normalised and go through the
    # regex: those holding another character (an accented letter, a symbol, a
    # script other than Latin) and those with two apostrophes in a row, which
    # split a word.
    odd = [] if ascii_now else list(compress(count(), map(operator.not_, map(str.isascii, chunks))))
    if doubled:
        odd = sorted({*odd, *(i for i, chunk in enumerate(chunks) if "''" in chunk)})
    if not odd:
        return chunks
    # All odd chunks normalised at once (NFC cannot compose across the cut).
    normalised = _normalise(_CUT.join(chunks[i] for i in odd))
    if _NEEDS_SCRIPT_CLASSES.search(normalised):
        return None
    # From the end, so the indexes still to splice stay put.
    for i, chunk in zip(reversed(odd), reversed(normalised.split(_CUT)), strict=True):
        chunks[i : i + 1] = _FAST_WORD.findall(chunk)
    return chunks


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
_TABLE_WORDS = 50_000
# A stop word's entry in the term table: no term (as an empty stem would be none).
_STOP = ""
# A stemmer per thread and language: PyStemmer's objects are not thread-safe,
# and the service analyses articles on several worker threads.
_stemmers = threading.local()


def _terms(words: list[str], language: str) -> list[str]:
    """Each word's term (its stem) in order, stop words left out, cuts kept."""
    # One lookup per word in one table tells stop word from content word and gives
    # the stem; the lookups, and the filtering below, run in C (map, compress).
    looked: list[str | None] = list(map(_term_table(language).get, words))
    holes = list(compress(count(), map(operator.is_, looked, repeat(None))))
    if holes:
        # The words the table lacks (a tenth of a news story's, none a stop word),
        # each stemmed once.
        missing = list({words[i] for i in holes})
        stems = dict(zip(missing, _stem_words(missing, language), strict=True))
        for i in holes:
            looked[i] = stems[words[i]]
    return list(filter(None, looked))  # no None left; stop words ("") go


def _stem_words(words: list[str], language: str) -> list[str]:
    algorithm = _STEMMERS.get(language)
    if algorithm is None:
        return words
    mine: dict[str, Stemmer.Stemmer] = _stemmers.__dict__.setdefault("by_algorithm", {})
    stemmer = mine.get(algorithm)
    if stemmer is None:
        # PyStemmer's own cache off (size 0): its hits cost 40 % of a stemming.
        stemmer = mine[algorithm] = Stemmer.Stemmer(algorithm, 0)
    return stemmer.stemWords(words)  # type: ignore[no-any-return]


@functools.cache
def _term_table(language: str) -> dict[str, str]:
    """Word -> term for the language's most frequent words and its stop words
    (`_STOP`), made once per process.

    A Snowball stem costs about 0.6 µs a word through PyStemmer; a dict lookup
    a tenth of that, and the same lookup tells a stop word. The table is made
    from wordfreq's word list (Speer 2022), not from articles seen, so every
    article costs the same whichever came before it; 50,000 English words cover
    91 % of a CNN/DM story's content words and take 0.1 s and ~8 MB to make (at
    the service's warm-up).
    """
    import wordfreq  # imported here: its lists load in a few hundred milliseconds

    words: list[str] = []
    if language in _STEMMERS:
        logging.getLogger("wordfreq").setLevel(logging.ERROR)  # "using the nearest match"
        with contextlib.suppress(LookupError):  # no list: every word is stemmed
            words = wordfreq.top_n_list(language, _TABLE_WORDS)
    table = dict(zip(words, _stem_words(words, language), strict=True))
    table.update(dict.fromkeys(_stop_words(language), _STOP))
    table[_CUT] = _CUT  # a cut between texts is its own term
    return table
