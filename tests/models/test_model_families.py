"""Every supported family with its real tokenizer, laid out as the hub lays it out.

BART and PEGASUS folders hold the real checkpoints' tokenizer files (no
tokenizer.json) and tiny random weights (tests/tiny_models.py); T5, whose real
vocabulary is not to be had here, uses the trained tiny T5. Each family's quirk
is checked where the engine handles it: the finish stage.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from newsum.models.abstractive.cancel import Cancellation
from newsum.models.abstractive.checkpoint import GenerationSettings
from newsum.models.abstractive.engine import Seq2SeqEngine, open_engine
from newsum.models.article import read_article
from newsum.models.summarize import summarize
from tests.tiny_models import HUB_TOKENIZER_FILES

DATA = Path(__file__).parents[1] / "data"
# The real vocabularies: BART/RoBERTa's byte-level BPE and Google's PEGASUS sentencepiece.
VOCABULARY_SIZES = {"bart": 50265, "pegasus": 96103}
PEGASUS_NEWLINE_ID = 106
# A PEGASUS CNN/DailyMail-style summary: sentences joined by "<n>", one without a full stop.
PEGASUS_SUMMARY = (
    "Shaibani held discussions with Iraqi Foreign Minister Fuad Hussein in Baghdad.<n>"
    "Syria will cooperate with Iraq against terrorism along the border<n>"
    "The overthrow of Assad has complicated the ties between Syria and Iraq."
)


@pytest.fixture(scope="module")
def engines(hub_bart: Path, hub_pegasus: Path) -> dict[str, Seq2SeqEngine]:
    loaded = {"bart": open_engine(str(hub_bart)), "pegasus": open_engine(str(hub_pegasus))}
    for family, engine in loaded.items():
        assert isinstance(engine, Seq2SeqEngine), f"{family}: {getattr(engine, 'reason', None)}"
    return loaded  # type: ignore[return-value]


class _Scripted:
    """A generator that answers every row with the same ids (a model's output, fixed)."""

    name = "scripted"

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def generate(
        self,
        batch: Sequence[Sequence[int]],
        settings: GenerationSettings,
        cancels: Sequence[Cancellation],
        on_tokens: object = None,
    ) -> list[list[int] | None]:
        return [list(self.ids) for _ in batch]


@pytest.mark.parametrize("family", ["bart", "pegasus"])
def test_a_hub_layout_folder_loads_and_summarises_the_sample_article(
    family: str, engines: dict[str, Seq2SeqEngine], request: pytest.FixtureRequest, sample_text: str
) -> None:
    """Only the slow tokenizer files (spiece.model; vocab.json + merges.txt): they load."""
    folder: Path = request.getfixturevalue(f"hub_{family}")
    assert not (folder / "tokenizer.json").exists()
    assert set(HUB_TOKENIZER_FILES[family]) <= {p.name for p in folder.iterdir()}
    engine = engines[family]
    tokenizer = engine.checkpoint.tokenizer
    assert len(tokenizer) == VOCABULARY_SIZES[family]
    assert engine.checkpoint.max_input_tokens == 1024
    article = read_article(sample_text)
    first, again = engine.summarize(article), engine.summarize(article)
    assert first.status == "ok"
    assert first.text
    assert first.text == again.text
    for sentence in first.sentences:
        assert first.text[sentence.start : sentence.end] == sentence.text
    # The article fits 1,024 real tokens whole, and the count is the real tokenizer's.
    assert first.truncated is False
    assert first.input_sentences == tuple(range(len(article.sentences)))
    assert first.input_tokens == len(tokenizer(engine.prepare(article).text)["input_ids"])


def test_the_real_tokenizers_count_differently(engines: dict[str, Seq2SeqEngine]) -> None:
    """Token counts are each family's own: the same words, different lengths and ids."""
    text = "Syria’s interim Foreign Minister Asaad al-Shaibani visited Iraq."
    bart = engines["bart"].checkpoint.tokenizer(text)["input_ids"]
    pegasus = engines["pegasus"].checkpoint.tokenizer(text)["input_ids"]
    assert (bart[0], bart[-1]) == (0, 2)  # <s> ... </s>
    assert pegasus[-1] == 1  # ... </s>
    assert pegasus[0] != 0  # no <s>
    assert len(bart) != len(pegasus)


def test_pegasus_marks_sentences_with_its_newline_piece(engines: dict[str, Seq2SeqEngine]) -> None:
    pegasus = engines["pegasus"].checkpoint
    assert pegasus.tokenizer.convert_tokens_to_ids("<n>") == PEGASUS_NEWLINE_ID
    assert PEGASUS_NEWLINE_ID not in pegasus.tokenizer.all_special_ids
    assert pegasus.sentence_mark == "<n>"
    assert engines["bart"].checkpoint.sentence_mark is None


def test_pegasus_newline_piece_is_a_sentence_break_everywhere(
    engines: dict[str, Seq2SeqEngine], sample_text: str
) -> None:
    """Text, sentence split and attribution see three sentences, never "<n>"."""
    checkpoint = engines["pegasus"].checkpoint
    ids = checkpoint.tokenizer(PEGASUS_SUMMARY)["input_ids"]
    assert ids.count(PEGASUS_NEWLINE_ID) == 2
    engine = Seq2SeqEngine(checkpoint, _Scripted([0, *ids]))  # 0: the decoder start, <pad>
    report = summarize(read_article(sample_text), methods=["abstractive"], abstractive=engine)
    summary = report.summaries.abstractive
    assert summary is not None
    assert summary.status == "ok"
    assert "<n>" not in summary.text
    assert summary.text == PEGASUS_SUMMARY.replace("<n>", " ")
    assert [s.text for s in summary.sentences] == PEGASUS_SUMMARY.split("<n>")
    for sentence in summary.sentences:
        assert summary.text[sentence.start : sentence.end] == sentence.text
        assert "<n>" not in sentence.text
    # Attribution saw each sentence alone: each has its own best source.
    sources = [s.attributions[0].sentence for s in summary.sentences]
    assert sources == [9, 11, 7]


def test_bart_drops_its_start_tokens_and_leading_space(engines: dict[str, Seq2SeqEngine]) -> None:
    """BART-CNN writes </s> <s> then "ĠThe...": the text starts at the first letter."""
    engine = engines["bart"]
    tokenizer = engine.checkpoint.tokenizer
    assert engine.checkpoint.generation_config.forced_bos_token_id == 0
    body = tokenizer(" The minister met officials. It went well.", add_special_tokens=False)
    assert tokenizer.convert_ids_to_tokens(body["input_ids"][0]) == "ĠThe"
    text, sentences = engine.decode([0, *body["input_ids"], 2], "en")
    assert text == "The minister met officials. It went well."
    assert [s.text for s in sentences] == ["The minister met officials.", "It went well."]
    # The random model's own output starts with the forced <s>, which never reaches the text.
    (generated,) = engine.generator.generate(
        [tokenizer("Syria's minister visited Iraq.")["input_ids"]],
        engine.checkpoint.defaults,
        [Cancellation()],
    )
    assert generated is not None
    assert generated[0] == 0
    summary = engine.summarize(read_article("Syria's minister visited Iraq. He met officials."))
    assert summary.text == summary.text.strip()
    assert "<s>" not in summary.text
    assert "</s>" not in summary.text


@pytest.mark.parametrize("family", ["bart", "pegasus", "t5"])
def test_decoding_never_glues_punctuation_to_the_word_before(
    family: str, engines: dict[str, Seq2SeqEngine], tiny_t5: Path
) -> None:
    """clean_up_tokenization_spaces is off: " 's", " ." and " ," come back as written."""
    engine = engines.get(family) or open_engine(str(tiny_t5))
    assert isinstance(engine, Seq2SeqEngine)
    tokenizer = engine.checkpoint.tokenizer
    assert tokenizer.clean_up_tokenization_spaces is False
    text = "The letter 's' and the word n't stand apart , as written ."
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if family == "t5":  # the tiny T5's 400 pieces lack some characters: compare with its own
        text = tokenizer.decode(ids, clean_up_tokenization_spaces=False)
    assert engine.decode(ids, "en")[0] == text
    assert " 's'" in text
    assert " ," in text


def test_t5_prefix_is_counted_in_the_input_budget(tiny_t5: Path, sample_text: str) -> None:
    engine = open_engine(str(tiny_t5))
    assert isinstance(engine, Seq2SeqEngine)
    checkpoint = engine.checkpoint
    assert checkpoint.prefix == "summarize: "
    model_input = engine.prepare(read_article(sample_text))
    assert model_input.text.startswith("summarize: ")
    assert model_input.truncated is True
    counted = len(checkpoint.tokenizer(model_input.text)["input_ids"])
    assert model_input.input_tokens == counted <= checkpoint.max_input_tokens
    # The prefix costs real tokens, which the sentences' share is without.
    without = len(checkpoint.tokenizer(model_input.text.removeprefix("summarize: "))["input_ids"])
    assert without < counted


@pytest.mark.parametrize("family", ["bart", "pegasus"])
def test_a_long_article_is_fitted_in_real_tokens(
    family: str, engines: dict[str, Seq2SeqEngine]
) -> None:
    """Five newsroom articles as one: over 1,024 real tokens, fitted to the best that do."""
    with (DATA / "newsroom_sample.jsonl").open(encoding="utf-8") as handle:
        text = "\n".join(json.loads(line)["article"] for line in handle)
    engine = engines[family]
    tokenizer = engine.checkpoint.tokenizer
    article = read_article(text)
    whole = " ".join(s.text for s in article.sentences)
    assert len(tokenizer(whole, verbose=False)["input_ids"]) > 1024
    model_input = engine.prepare(article)
    assert model_input.truncated is True
    assert model_input.input_tokens == len(tokenizer(model_input.text)["input_ids"]) <= 1024
    assert model_input.input_tokens > 900  # the budget is spent, not wasted
    assert model_input.text == " ".join(article.sentences[i].text for i in model_input.sentences)
