from __future__ import annotations

import pytest

from newsum.models.facts import ArticleFacts, unsupported_facts

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


MARKETS = ArticleFacts(
    "Vodafone said on Tuesday it would sell its Spanish unit for €5 billion, and its "
    "operating profit rose 4.2 per cent to £1.3bn. Its share of the UK market grew 3 "
    "percentage points to 21%. The Bank of England cut rates by 25 basis points, and "
    "the FTSE 100 fell 84 points. Usain Bolt's 100m record still stands. Five hundred "
    "staff will move; the union said 2,400 jobs were at risk and asked for a $10-million fund."
)


@pytest.mark.parametrize(
    "sentence",
    [
        "Vodafone will sell its Spanish unit for €5bn.",
        "Vodafone will sell its Spanish unit for 5 billion euros.",
        "vodafone will sell its spanish unit for €5,000,000,000.",
        "Operating profit rose 4.2% to £1.3 billion.",
        "operating profit rose 4.2 percent to £1,300 million.",
        "Operating profit rose 4.2pc to £1.3bn.",
        "Its market share grew 3 points to 21 per cent.",
        "The Bank of England cut rates by 0.25 percentage points.",
        "the bank of england cut rates by 25bps.",
        "The FTSE 100 fell 84 points.",
        "Bolt's 100m record stands.",
        "500 staff will move.",
        "The union asked for a $10m fund.",
        "The union asked for a fund of 10 million dollars.",
    ],
)
def test_the_same_quantity_in_another_notation_is_supported(sentence: str) -> None:
    assert unsupported_facts(sentence, MARKETS) == []


@pytest.mark.parametrize(
    "sentence",
    [
        # A bare number is found by the same digits whatever their scale or unit.
        "Vodafone will sell its Spanish unit for €5.",
        "Profit rose to 1.3.",
        "The union said 2400 jobs were at risk, and the FTSE fell 84.",
        "Its market share grew 3 to 21.",
    ],
)
def test_a_bare_number_is_found_by_its_digits_at_any_scale(sentence: str) -> None:
    assert unsupported_facts(sentence, MARKETS) == []


@pytest.mark.parametrize(
    ("sentence", "missing"),
    [
        ("Vodafone will sell its Spanish unit for €5 million.", ["€5 million"]),
        ("vodafone will sell its spanish unit for €5m.", ["€5m"]),
        ("Operating profit rose 4.2 per cent to £1.3 million.", ["£1.3 million"]),
        ("operating profit rose 4.2 percent to £1.3m.", ["£1.3m"]),
        ("Operating profit rose 4.2 percentage points to £1.3bn.", ["4.2 percentage points"]),
        ("Its market share grew 3% to 21%.", ["3%"]),
        ("its market share grew 3 per cent to 21 points.", ["3 per cent", "21 points"]),
        ("The Bank of England cut rates by 25 percentage points.", ["25 percentage points"]),
        ("The Bank of England cut rates by 0.25%.", ["0.25%"]),
        ("The FTSE 100 fell 84%.", ["84%"]),
        ("The union said 2,400 jobs, 2.4% of staff, were at risk.", ["2.4%"]),
        ("The union said 2.4 million jobs were at risk.", ["2.4 million"]),
        ("The union asked for a $10bn fund.", ["$10bn"]),
        ("The union asked for a $10k fund.", ["$10k"]),
    ],
)
def test_a_wrong_magnitude_or_unit_is_listed(sentence: str, missing: list[str]) -> None:
    assert unsupported_facts(sentence, MARKETS) == missing


def test_a_one_letter_scale_without_currency_may_be_a_unit_but_not_another_scale() -> None:
    """'100m' is found by a 100m sprint or by 100 million, never by 100 billion."""
    assert unsupported_facts("Bolt's 100m record stands.", MARKETS) == []
    assert unsupported_facts("Bolt ran 100m.", ArticleFacts("Bolt won 100 million fans.")) == []
    assert unsupported_facts("Bolt ran 100m.", ArticleFacts("Bolt won 100 billion fans.")) == [
        "100m"
    ]
    assert unsupported_facts("Bolt won $100m.", ArticleFacts("Bolt ran 100 metres.")) == ["$100m"]
