"""The two decoding backends on the tiny random BART: CTranslate2 (the default) against
torch (the reference), and converting a checkpoint for CTranslate2 once."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest

from newsum.models.abstractive import convert
from newsum.models.abstractive.cancel import Cancellation
from newsum.models.abstractive.checkpoint import GenerationSettings, load_checkpoint
from newsum.models.abstractive.engine import Seq2SeqEngine, UnavailableEngine, open_engine
from newsum.models.article import read_article
from newsum.models.errors import InvalidOption

TEXTS = [
    "Syria's minister visited Iraq on Friday.",
    "He met officials in Baghdad and talked about security on the border.",
    "The end of the story is near, the minister said.",
]
# Greedy, a fixed length; no repeated bigrams, so the random model's tokens vary.
GREEDY = GenerationSettings(num_beams=1, min_length=16, max_length=16, length_penalty=1.0,
                            no_repeat_ngram_size=2, early_stopping=False)  # fmt: skip
BEAM = GenerationSettings(num_beams=4, min_length=8, max_length=16, length_penalty=2.0,
                          no_repeat_ngram_size=3, early_stopping=True)  # fmt: skip


@pytest.fixture(scope="module")
def engines(tiny_bart: Path) -> tuple[Seq2SeqEngine, Seq2SeqEngine]:
    """(the torch reference, CTranslate2 float32), each named: the default may change."""
    torch_engine = open_engine(str(tiny_bart), backend="torch", compute_type="float32")
    ct2_engine = open_engine(str(tiny_bart), backend="ctranslate2", compute_type="float32")
    assert isinstance(torch_engine, Seq2SeqEngine)
    assert isinstance(ct2_engine, Seq2SeqEngine), getattr(ct2_engine, "reason", None)
    return torch_engine, ct2_engine


def ids(engine: Seq2SeqEngine, text: str) -> list[list[int]]:
    return list(engine.checkpoint.tokenizer([text])["input_ids"])


@pytest.mark.parametrize("settings", [GREEDY, BEAM], ids=["greedy", "beam4"])
def test_ctranslate2_float32_gives_the_reference_tokens(
    engines: tuple[Seq2SeqEngine, Seq2SeqEngine], settings: GenerationSettings
) -> None:
    """Same tokens as transformers, but the last: transformers forces </s> at max_length."""
    reference, fast = engines
    for text in TEXTS:
        (expected,) = reference.generator.generate(ids(reference, text), settings, [Cancellation()])
        (got,) = fast.generator.generate(ids(fast, text), settings, [Cancellation()])
        assert expected is not None
        assert got is not None
        assert len(set(expected)) > 3, "the test needs varied tokens to mean anything"
        assert got[:-1] == expected[:-1]


def test_ctranslate2_float32_is_the_default(engines: tuple[Seq2SeqEngine, Seq2SeqEngine]) -> None:
    reference, _ = engines
    default = open_engine(str(reference.checkpoint.path))
    assert isinstance(default, Seq2SeqEngine)
    assert (default.generator.backend, default.generator.compute_type) == (
        "ctranslate2",
        "float32",
    )
    assert (reference.generator.backend, reference.generator.name) == ("torch", "torch/float32")


def test_a_first_start_converts_once_and_logs_how_long_it_took(
    tiny_bart: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "bart"
    shutil.copytree(tiny_bart, folder, ignore=shutil.ignore_patterns("ctranslate2-*"))
    with caplog.at_level(logging.INFO, logger="newsum.convert"):
        first = open_engine(str(folder), backend="ctranslate2", compute_type="float32")
    assert isinstance(first, Seq2SeqEngine)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2, messages
    assert messages[0].startswith(f"no CTranslate2 float32 copy of {folder} yet: converting")
    assert re.fullmatch(
        rf"converted {re.escape(str(folder))} to CTranslate2 float32 in \d+\.\d s; "
        rf"later starts reuse {re.escape(str(folder / 'ctranslate2-float32'))}",
        messages[1],
    )
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="newsum.convert"):
        open_engine(str(folder), backend="ctranslate2", compute_type="float32")
    assert caplog.records == []
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # no staging left


def test_a_read_only_checkpoint_is_converted_into_the_users_cache(
    tiny_bart: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "bart"
    shutil.copytree(tiny_bart, folder, ignore=shutil.ignore_patterns("ctranslate2-*"))
    monkeypatch.setattr(convert.os, "access", lambda path, mode: False)  # as if read-only
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "home")
    engine = open_engine(str(folder), backend="ctranslate2", compute_type="float32")
    assert isinstance(engine, Seq2SeqEngine), getattr(engine, "reason", None)
    assert not (folder / "ctranslate2-float32").exists()
    (cached,) = (tmp_path / "home" / ".cache" / "newsum" / "ctranslate2").iterdir()
    assert cached.name.endswith("-float32")
    assert (cached / "model.bin").exists()


def test_a_read_only_checkpoint_with_a_baked_copy_beside_it_is_not_converted_again(
    engines: tuple[Seq2SeqEngine, Seq2SeqEngine],
    tiny_bart: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An image built with the copy beside the checkpoint, run on a read-only file system."""
    assert (tiny_bart / "ctranslate2-float32" / "model.bin").exists()
    monkeypatch.setattr(convert.os, "access", lambda path, mode: False)
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "home")

    def no_conversion(path: str) -> None:
        raise AssertionError("converted again")

    monkeypatch.setattr(convert, "_converter", no_conversion)
    engine = open_engine(str(tiny_bart), backend="ctranslate2", compute_type="float32")
    assert isinstance(engine, Seq2SeqEngine), getattr(engine, "reason", None)
    assert not (tmp_path / "home").exists()


def test_an_architecture_ctranslate2_lacks_is_unavailable_and_names_the_torch_setting(
    tiny_bart: Path, tmp_path: Path
) -> None:
    """LED is a seq2seq model transformers loads and CTranslate2 cannot convert."""
    from transformers import LEDConfig, LEDForConditionalGeneration

    folder = tmp_path / "led"
    shutil.copytree(
        tiny_bart,
        folder,
        ignore=shutil.ignore_patterns(
            "ctranslate2-*", "*.safetensors", "config.json", "generation_config.json"
        ),
    )
    config = LEDConfig(vocab_size=len(load_checkpoint(str(tiny_bart)).tokenizer), d_model=16,
                       encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                       decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
                       max_encoder_position_embeddings=128, max_decoder_position_embeddings=128,
                       attention_window=[16])  # fmt: skip
    LEDForConditionalGeneration(config).save_pretrained(folder)
    assert open_engine(str(folder), backend="torch").status == "ok"
    engine = open_engine(str(folder), backend="ctranslate2", compute_type="float32")
    assert isinstance(engine, UnavailableEngine)
    assert "could not be converted to CTranslate2" in str(engine.reason)
    assert "NEWSUM_BACKEND=torch" in str(engine.reason)
    assert not (folder / "ctranslate2-float32").exists()


def test_the_conversion_is_cached_beside_the_checkpoint_and_reused(
    engines: tuple[Seq2SeqEngine, Seq2SeqEngine], tiny_bart: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (tiny_bart / "ctranslate2-float32" / "model.bin").exists()

    def no_conversion(path: str) -> None:
        raise AssertionError("converted again")

    monkeypatch.setattr(convert, "_converter", no_conversion)
    again = open_engine(str(tiny_bart), backend="ctranslate2", compute_type="float32")
    assert isinstance(again, Seq2SeqEngine)


@pytest.mark.parametrize("backend", [0, 1], ids=["torch", "ctranslate2"])
def test_a_cancelled_row_leaves_the_batch_and_the_others_finish(
    engines: tuple[Seq2SeqEngine, Seq2SeqEngine], backend: int
) -> None:
    engine = engines[backend]
    batch = engine.checkpoint.tokenizer(TEXTS[:2])["input_ids"]
    (alone,) = engine.generator.generate(batch[1:], GREEDY, [Cancellation()])
    doomed = Cancellation()
    doomed.cancel()
    stopped, finished = engine.generator.generate(batch, GREEDY, [doomed, Cancellation()])
    assert stopped is None
    assert finished == alone


def test_a_past_deadline_row_gets_its_error_in_its_place(
    engines: tuple[Seq2SeqEngine, Seq2SeqEngine],
) -> None:
    _, fast = engines
    articles = [read_article(text) for text in TEXTS[:2]]
    late, fine = fast.summarize_batch(articles, None, [Cancellation(timeout_s=0), Cancellation()])
    assert late.__class__.__name__ == "DeadlineExceeded"
    assert getattr(fine, "status", None) == "ok"


def test_the_engine_on_ctranslate2_keeps_the_long_input_policy(
    engines: tuple[Seq2SeqEngine, Seq2SeqEngine], sample_text: str
) -> None:
    _, fast = engines
    article = read_article(sample_text)
    first, again = fast.summarize(article), fast.summarize(article)
    assert first.status == "ok"
    assert first.text == again.text
    assert first.truncated is True
    assert first.input_tokens is not None
    assert first.input_tokens <= 128


def test_int8_loads_and_generates(tiny_bart: Path) -> None:
    engine = open_engine(str(tiny_bart), backend="ctranslate2", compute_type="int8")
    assert isinstance(engine, Seq2SeqEngine)
    assert engine.generator.name == "ctranslate2/int8"
    assert engine.summarize(read_article(TEXTS[1])).status == "ok"


def test_unknown_backends_and_compute_types_are_refused(tiny_bart: Path) -> None:
    from newsum.models.abstractive.backends import open_generator

    checkpoint = load_checkpoint(str(tiny_bart))
    with pytest.raises(InvalidOption, match="backend must be one of"):
        open_generator(checkpoint, "onnx", "float32", None)
    with pytest.raises(InvalidOption, match="compute type for torch must be one of"):
        open_generator(checkpoint, "torch", "int8_float32", None)


@pytest.mark.parametrize("family", ["bart", "pegasus", "t5"])
def test_ctranslate2_converts_each_family_and_gives_the_reference_tokens(
    family: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """PEGASUS converts (pre-norm, no embedding norm); BART keeps its forced <s>; T5 converts."""
    fixture = {"bart": "hub_bart", "pegasus": "hub_pegasus", "t5": "tiny_t5"}[family]
    folder = tmp_path / family  # a copy without earlier conversions: this one converts it
    shutil.copytree(
        request.getfixturevalue(fixture), folder, ignore=shutil.ignore_patterns("ctranslate2-*")
    )
    reference = open_engine(str(folder), backend="torch", compute_type="float32")
    fast = open_engine(str(folder), backend="ctranslate2", compute_type="float32")
    assert isinstance(reference, Seq2SeqEngine)
    assert isinstance(fast, Seq2SeqEngine), getattr(fast, "reason", None)
    for text in TEXTS:
        (expected,) = reference.generator.generate(ids(reference, text), GREEDY, [Cancellation()])
        (got,) = fast.generator.generate(ids(fast, text), GREEDY, [Cancellation()])
        assert expected is not None
        assert got is not None
        assert len(set(expected)) > 3, "the test needs varied tokens to mean anything"
        assert got[:-1] == expected[:-1]
        if family == "bart":
            assert expected[0] == got[0] == 0  # the forced <s>
