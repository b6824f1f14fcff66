from __future__ import annotations

import Stemmer
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsum.models.terms import (
    _FAST_WORD,
    _NEEDS_SCRIPT_CLASSES,
    _TOKEN,
    _normalise,
    _stop_words,
    analyse,
    content_terms,
    rouge_tokens,
)


def test_rouge_tokens_fold_case_and_keep_every_script() -> None:
    assert rouge_tokens("Syria’s FM, 1,383 CAFÉ") == ["syria's", "fm", "1", "383", "café"]
    assert rouge_tokens("हिन्दी भाषा") == ["हिन्दी", "भाषा"]  # vowel signs stay in the word
    assert rouge_tokens("我爱北京") == ["我", "爱", "北", "京"]
    assert rouge_tokens("Cafe\u0301") == rouge_tokens("Café")  # NFC: decomposed = composed


def test_content_terms_stem_drop_stop_words_and_count_words() -> None:
    terms, words = content_terms("The ministers were running the talks", "en")
    assert terms == ["minist", "run", "talk"]
    assert words == 6


def test_scripts_without_spaces_give_character_bigrams() -> None:
    terms, words = content_terms("北京大学", "zh")
    assert terms == ["北京", "京大", "大学"]
    assert words == 4


def test_languages_without_a_stemmer_or_stop_list_still_give_terms() -> None:
    terms, _ = content_terms("ᐃᓄᒃᑎᑐᑦ ᐅᖃᐅᓯᖅ", "iu")
    assert terms == ["ᐃᓄᒃᑎᑐᑦ", "ᐅᖃᐅᓯᖅ"]


_ASCII_NEWS = st.text(
    alphabet=st.sampled_from("abcXYZ019 '\"_-.,;:!?()\n\t"), max_size=80
) | st.text(alphabet=st.characters(max_codepoint=127), max_size=80)


@given(_ASCII_NEWS)
def test_ascii_fast_path_gives_the_regex_words(text: str) -> None:
    """ASCII sentences skip the regex: the words must be exactly the regex's, quote marks too."""
    assert rouge_tokens(text) == _FAST_WORD.findall(text.lower())


# News-like text with the characters the fast path must leave to the regex: curly
# quotes, accents, combining marks, "<" + U+0338 (which NFC composes to "≮"), a
# Greek question mark (NFC: ";"), letters whose case folding is longer or combining.
_TRICKY_NEWS = st.text(
    alphabet=st.sampled_from(
        [*"abcXYZ019 '\"_-.,;:!?()\n\t\x00<=>", "’", "‘", "“", "–", "£", "é", "É", "ß",
         "İ", "\u0301", "\u0338", "\xa0", "\u037e", "\u212a", "ﬁ", "北", "ŉ", "\u1fef"]
    ),
    max_size=60,
)  # fmt: skip


def _regex_tokens(text: str) -> list[str]:
    """The tokens by the regexes alone, over the whole normalised text."""
    text = _normalise(text)
    if not _NEEDS_SCRIPT_CLASSES.search(text):
        return _FAST_WORD.findall(text)
    return [token for run, word in _TOKEN.findall(text) for token in (run or [word])]


@settings(max_examples=500, deadline=None)
@given(_TRICKY_NEWS | st.text(max_size=40))
@example("the 2015 'Ready For It'\xa0campaign")  # a quote mark next to a no-break space
@example("a ''quoted'' word, don't")
def test_split_in_c_gives_the_regex_tokens_on_any_text(text: str) -> None:
    """Bytes translation and split, with only odd chunks normalised and matched, must
    cut exactly the words the regexes cut from the normalised text."""
    assert rouge_tokens(text) == _regex_tokens(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(_TRICKY_NEWS | st.text(max_size=20), max_size=6), st.sampled_from(["en", "zh"]))
def test_texts_analysed_together_are_analysed_as_alone(texts: list[str], language: str) -> None:
    """An article's sentences are joined, analysed in one pass and cut apart again: each
    must come out as if analysed on its own."""
    assert analyse(texts, language) == [analyse([text], language)[0] for text in texts]


def test_stems_are_the_same_for_repeated_and_distinct_words() -> None:
    """Each distinct word is stemmed once and mapped back to every occurrence, in order."""
    terms, _ = content_terms("Running runners crossed; running crossings, runners", "en")
    assert terms == ["run", "runner", "cross", "run", "cross", "runner"]


# Stop words, words in the table of frequent words, and words too rare to be in it.
_COMMON_AND_RARE_WORDS = [
    "the", "of", "running", "ministers", "talks", "crossings", "zorbing", "glorfindel",
    "unfathomableness", "quizzaciously", "don't", "obama's", "1,383", "café",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_COMMON_AND_RARE_WORDS), max_size=30))
def test_terms_are_the_snowball_stems_of_the_content_words(words: list[str]) -> None:
    """The term table (frequent words' stems, stop words) gives what stemming every
    non-stop word would: the stems of the words it lacks are computed."""
    stemmer = Stemmer.Stemmer("english")
    (analysed,) = analyse([" ".join(words)], "en")
    expected = [stemmer.stemWord(w) for w in analysed.tokens if w not in _stop_words("en")]
    assert list(analysed.terms) == expected
