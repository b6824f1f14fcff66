from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from models.terms import _FAST_WORD, content_terms, rouge_tokens


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


def test_stems_are_the_same_for_repeated_and_distinct_words() -> None:
    """Each distinct word is stemmed once and mapped back to every occurrence, in order."""
    terms, _ = content_terms("Running runners crossed; running crossings, runners", "en")
    assert terms == ["run", "runner", "cross", "run", "cross", "runner"]
