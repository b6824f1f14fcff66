"""Settings are checked when a command starts: a bad NEWSUM_* value stops it with exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from newsum.service.cli.main import InvalidSettings, _describe, load_settings, main
from newsum.service.settings import Settings

ROOT = Path(__file__).parents[2]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No NEWSUM_* variable of the machine running the tests leaks into these."""
    for name in os.environ:
        if name.upper().startswith("NEWSUM_"):
            monkeypatch.delenv(name)


def test_the_defaults_are_valid() -> None:
    assert load_settings() == Settings()


@pytest.mark.parametrize(
    "environment",
    [
        {"NEWSUM_BACKEND": "ctranslate2", "NEWSUM_COMPUTE_TYPE": "int8_float32"},
        {"NEWSUM_BACKEND": "torch", "NEWSUM_COMPUTE_TYPE": "int8"},
        {"NEWSUM_LOG_LEVEL": "WARNING", "NEWSUM_PORT": "65535", "NEWSUM_TORCH_THREADS": "4"},
        {"NEWSUM_CORS_ORIGINS": "https://cms.example.com, http://localhost:3000"},
        {"NEWSUM_CORS_ORIGINS": "*", "NEWSUM_API_KEYS": "k-one,k-two"},
        {"NEWSUM_BATCH_QUEUE_SHARE": "1", "NEWSUM_RATE_LIMIT_PER_MINUTE": "0"},
        {"NEWSUM_MODELS": "owner/de, ./folder", "NEWSUM_MODEL_LANGUAGES": "owner/de=de+de-AT"},
        {"NEWSUM_MODEL": "none", "NEWSUM_MODELS": "owner/de", "NEWSUM_MODEL_LANGUAGES": ""},
        {"NEWSUM_MODEL_SUPPORT": "on", "NEWSUM_MODEL_SUPPORT_WEIGHTS": "/srv/weights.json"},
        {"NEWSUM_MODEL_SUPPORT": "off"},
        {"NEWSUM_REQUIRE_MODEL": "true", "NEWSUM_DRAIN_DELAY_S": "5"},
    ],
)
def test_good_settings_load(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    load_settings()


def test_several_models_and_their_languages_are_read_in_routing_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSUM_MODELS", " owner/de , ./fr-model ,")
    monkeypatch.setenv("NEWSUM_MODEL_LANGUAGES", "owner/de=deu;./fr-model=fr-CA+multilingual")
    settings = load_settings()
    assert settings.abstractive_models == [
        "sshleifer/distilbart-cnn-12-6",
        "owner/de",
        "./fr-model",
    ]
    assert settings.model_languages["owner/de"].languages == ("de",)
    assert settings.model_languages["./fr-model"].languages is None  # every language
    monkeypatch.setenv("NEWSUM_MODEL", "none")
    assert load_settings().abstractive_models == ["owner/de", "./fr-model"]


def test_a_missing_model_degrades_the_service_unless_required_and_sigterm_drains_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = load_settings()
    assert (settings.require_model, settings.drain_delay_s) == (False, 0.0)
    monkeypatch.setenv("NEWSUM_REQUIRE_MODEL", "true")
    assert load_settings().require_model is True


def test_the_model_as_a_second_judge_is_off_unless_turned_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().model_support == "off"
    monkeypatch.setenv("NEWSUM_MODEL_SUPPORT", "on")
    assert load_settings().model_support == "on"


def test_the_log_level_is_read_case_insensitively(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSUM_LOG_LEVEL", "Debug")
    assert load_settings().log_level == "debug"


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        (
            {"NEWSUM_COMPUTE_TYPE": "int3"},
            "NEWSUM_COMPUTE_TYPE='int3': compute type for backend 'ctranslate2' must "
            "be one of float32, int8, int8_float32",
        ),
        (
            {"NEWSUM_BACKEND": "torch", "NEWSUM_COMPUTE_TYPE": "int3"},
            "NEWSUM_COMPUTE_TYPE='int3': compute type for backend 'torch' must be one of "
            "float32, int8",
        ),
        (
            {"NEWSUM_BACKEND": "ctranslate2", "NEWSUM_COMPUTE_TYPE": "float16"},
            "NEWSUM_COMPUTE_TYPE='float16': compute type for backend 'ctranslate2' must be one "
            "of float32, int8, int8_float32",
        ),
        (
            {"NEWSUM_BACKEND": "onnx"},
            "NEWSUM_BACKEND='onnx': Input should be 'torch' or 'ctranslate2'",
        ),
        (
            {"NEWSUM_LOG_LEVEL": "verbose"},
            "NEWSUM_LOG_LEVEL='verbose': log level must be one of debug, info, warning, error, "
            "critical",
        ),
        (
            {"NEWSUM_PORT": "70000"},
            "NEWSUM_PORT='70000': Input should be less than or equal to 65535; "
            "allowed: >= 1 and <= 65535",
        ),
        (
            {"NEWSUM_TORCH_THREADS": "many"},
            "NEWSUM_TORCH_THREADS='many': Input should be a valid integer",
        ),
        (
            {"NEWSUM_REQUEST_TIMEOUT_S": "0"},
            "NEWSUM_REQUEST_TIMEOUT_S='0': Input should be greater than 0; "
            "allowed: > 0 and <= 3600",
        ),
        (
            {"NEWSUM_MAX_ARTICLE_SENTENCES": "1000000"},
            "NEWSUM_MAX_ARTICLE_SENTENCES='1000000': Input should be less than or equal to 20000",
        ),
        (
            {"NEWSUM_CORS_ORIGINS": "https://cms.example.com/"},
            "NEWSUM_CORS_ORIGINS='https://cms.example.com/': CORS origins must be '*' or "
            "scheme://host[:port]",
        ),
        (
            {"NEWSUM_MODEL": ""},
            "NEWSUM_MODEL='': String should have at least 1 character",
        ),
        (
            {"NEWSUM_MODELS": "owner/de,owner/de"},
            "model 'owner/de' is configured twice (NEWSUM_MODEL, NEWSUM_MODELS)",
        ),
        (
            {"NEWSUM_MODELS": "sshleifer/distilbart-cnn-12-6"},
            "model 'sshleifer/distilbart-cnn-12-6' is configured twice",
        ),
        (
            {"NEWSUM_MODELS": "none"},
            "NEWSUM_MODELS lists models to add; `none` is not one",
        ),
        (
            {"NEWSUM_MODEL_LANGUAGES": "owner/fr=fr"},
            "NEWSUM_MODEL_LANGUAGES names 'owner/fr', which is not configured; the models are: "
            "['sshleifer/distilbart-cnn-12-6']",
        ),
        (
            {"NEWSUM_MODEL_LANGUAGES": "sshleifer/distilbart-cnn-12-6=en+english+e1"},
            "NEWSUM_MODEL_LANGUAGES='sshleifer/distilbart-cnn-12-6=en+english+e1': 'e1' is not "
            "a language code",
        ),
        (
            {"NEWSUM_MODEL_LANGUAGES": "sshleifer/distilbart-cnn-12-6:en"},
            "each entry is model=code+code",
        ),
        (
            {"NEWSUM_MODEL_SUPPORT": "yes"},
            "NEWSUM_MODEL_SUPPORT='yes': Input should be 'on' or 'off'",
        ),
        (
            {"NEWSUM_REQUIRE_MODEL": "perhaps"},
            "NEWSUM_REQUIRE_MODEL='perhaps': Input should be a valid boolean",
        ),
        (
            {"NEWSUM_DRAIN_DELAY_S": "-1"},
            "NEWSUM_DRAIN_DELAY_S='-1': Input should be greater than or equal to 0; "
            "allowed: >= 0 and <= 600",
        ),
    ],
)
def test_a_bad_setting_is_named_with_its_value_and_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(InvalidSettings) as caught:
        load_settings()
    assert expected in str(caught.value)


def test_every_bad_setting_is_listed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSUM_PORT", "0")
    monkeypatch.setenv("NEWSUM_COMPUTE_TYPE", "int3")
    with pytest.raises(InvalidSettings) as caught:
        load_settings()
    lines = str(caught.value).splitlines()
    assert lines[0] == "newsum: invalid settings:"
    assert [line.split("=")[0].strip() for line in lines[1:]] == [
        "NEWSUM_PORT",
        "NEWSUM_COMPUTE_TYPE",
    ]


def test_api_keys_are_named_but_never_echoed() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(api_keys=["k-one", 7])  # type: ignore[list-item]
    message = _describe(caught.value)
    assert "NEWSUM_API_KEYS=(hidden)" in message
    assert "7" not in message


@pytest.mark.parametrize(
    "arguments",
    [
        ["summarize", "article.txt"],
        ["attribute", "article.txt", "summary.txt"],
        ["fetch-model", "sshleifer/distilbart-cnn-12-6"],
    ],
)
def test_every_command_that_reads_settings_exits_2_on_a_bad_one(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    arguments: list[str],
) -> None:
    """Before it reads a file or reaches a model hub."""
    monkeypatch.chdir(tmp_path)  # the files named do not exist: settings come first
    monkeypatch.setenv("NEWSUM_COMPUTE_TYPE", "int3")
    assert main(arguments) == 2
    err = capsys.readouterr().err
    assert "NEWSUM_COMPUTE_TYPE='int3'" in err
    assert "must be one of float32, int8" in err


def test_serve_exits_2_with_a_message_and_no_traceback() -> None:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.upper().startswith("NEWSUM_")},
        "NEWSUM_BACKEND": "torch",
        "NEWSUM_COMPUTE_TYPE": "int3",
    }
    result = subprocess.run(
        [sys.executable, "-m", "newsum", "serve"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("newsum: invalid settings:\n")
    assert "NEWSUM_COMPUTE_TYPE='int3': compute type for backend 'torch' must be one of" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
