from __future__ import annotations

import pytest

from models.facts import ArticleFacts, unsupported_facts

ARTICLE = ArticleFacts(
    "Iraqi officials condemned the massacre of over 1,383 civilians. The US-led coalition, "
    "with U.K. support, spent $1.2 billion, up 5 percent. Three Alawite villages were hit. "
    "Foreign Minister Asaad al-Shaibani met Fuad Hussein in Baghdad in December 2024."
)


@pytest.mark.parametrize(
    "sentence",
    [
        "Officials condemned the massacre of 1383 civilians.",
        "The U.S.-led coalition spent 1.2bn dollars.",
        "The coalition spent $1,200,000,000.",
        "Spending rose 5%.",
        "Spending rose 5 per cent.",
        "The UK helped.",
        "3 villages were hit.",
        "Alawites were killed.",
        "Shaibani met Hussein in Baghdad in December 2024.",
        "Syria’s minister met al-Shaibani’s counterpart.",
        "Casualties were reported [UNK] in Baghdad.",
    ],
)
def test_format_variants_of_article_facts_are_supported(sentence: str) -> None:
    assert unsupported_facts(sentence, ARTICLE) == []


@pytest.mark.parametrize(
    ("sentence", "missing"),
    [
        ("Officials condemned the massacre of over 1,400 civilians.", ["1,400"]),
        ("The coalition spent $2.5 billion.", ["$2.5 billion"]),
        ("Shaibani met Barack Obama in Baghdad.", ["Barack Obama"]),
        ("Hussein spoke on Tuesday in Mosul.", ["Tuesday", "Mosul"]),
        ("The visit took place in December 2023.", ["2023"]),
    ],
)
def test_invented_numbers_and_names_are_listed(sentence: str, missing: list[str]) -> None:
    assert unsupported_facts(sentence, ARTICLE) == missing


def test_a_capitalised_first_word_alone_is_not_taken_for_a_name() -> None:
    assert unsupported_facts("Meanwhile, Hussein spoke.", ARTICLE) == []
