"""Settings: database URLs are normalised to the async drivers, bad values fail at start-up
with a message that names the environment variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from modules.platform.settings import (
    ConfigurationError,
    Settings,
    load_settings,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer's environment variables or .env file may leak into these tests."""
    for name in Settings.model_fields:
        for variant in {name, name.upper(), name.lower()}:
            monkeypatch.delenv(variant, raising=False)
    for variable in list(os.environ):
        if variable.lower() in Settings.model_fields:
            monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)  # the default env_file is ".env" in the working directory


def load(**overrides: object) -> Settings:
    return load_settings(_env_file=None, **overrides)


# --- database URL normalisation ----------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgres://user:pw@db.example:5432/catalogue",
            "postgresql+asyncpg://user:pw@db.example:5432/catalogue",
        ),
        (
            "postgresql://user:pw@db.example:5432/catalogue",
            "postgresql+asyncpg://user:pw@db.example:5432/catalogue",
        ),
        (
            "postgresql+asyncpg://user:pw@db.example/catalogue",
            "postgresql+asyncpg://user:pw@db.example/catalogue",
        ),
        (
            "postgresql://db.example/catalogue?ssl=require",
            "postgresql+asyncpg://db.example/catalogue?ssl=require",
        ),
        ("sqlite:///catalogue.db", "sqlite+aiosqlite:///catalogue.db"),
        ("sqlite:////var/lib/catalogue.db", "sqlite+aiosqlite:////var/lib/catalogue.db"),
        ("sqlite+aiosqlite:///catalogue.db", "sqlite+aiosqlite:///catalogue.db"),
    ],
)
def test_database_url_is_normalised_to_the_async_driver(given: str, expected: str) -> None:
    assert load(database_url=given).database_url == expected


def test_database_url_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://app@db.internal/catalogue")
    settings = load()
    assert settings.database_url == "postgresql+asyncpg://app@db.internal/catalogue"
    assert settings.is_sqlite is False


def test_the_default_database_is_a_sqlite_file() -> None:
    settings = load()
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith("catalogue.db")
    assert settings.is_sqlite is True


@pytest.mark.parametrize(
    "url",
    [
        "mysql://user:pw@host/db",
        "postgresql+psycopg://host/db",
        "SQLITE:///catalogue.db",
        "catalogue.db",
        "/var/lib/catalogue.db",
        "",
    ],
)
def test_an_unsupported_database_url_is_refused_naming_database_url(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load(database_url=url)
    assert "DATABASE_URL" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///:memory:",
        "sqlite+aiosqlite:///:memory:",
        "sqlite:///:memory:?cache=shared",
        "sqlite://",
        "sqlite:///",
    ],
)
def test_an_in_memory_sqlite_database_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load(database_url=url)
    message = str(caught.value)
    assert "DATABASE_URL" in message
    assert "memory" in message


@pytest.mark.parametrize("url", ["sqlite://:memory:", "sqlite://catalogue.db"])
def test_a_sqlite_url_without_a_path_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load(database_url=url)
    assert "DATABASE_URL" in str(caught.value)


def test_an_invalid_database_url_from_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///:memory:")
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        load()


def test_the_error_message_does_not_echo_the_password() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load(database_url="mysql://app:hunter2-secret@db.internal/catalogue")
    assert "hunter2-secret" not in str(caught.value)
    assert caught.value.__cause__ is None  # pydantic's report (with the input) is not chained
    assert caught.value.__suppress_context__ is True


# --- other fields ------------------------------------------------------------------------


@pytest.mark.parametrize("worker_id", [0, 1023])
def test_snowflake_worker_id_in_range_is_accepted(
    monkeypatch: pytest.MonkeyPatch, worker_id: int
) -> None:
    monkeypatch.setenv("SNOWFLAKE_WORKER_ID", str(worker_id))
    assert load().snowflake_worker_id == worker_id


@pytest.mark.parametrize("worker_id", ["-1", "1024", "99999"])
def test_snowflake_worker_id_out_of_range_is_refused(
    monkeypatch: pytest.MonkeyPatch, worker_id: str
) -> None:
    monkeypatch.setenv("SNOWFLAKE_WORKER_ID", worker_id)
    with pytest.raises(ConfigurationError) as caught:
        load()
    assert "SNOWFLAKE_WORKER_ID" in str(caught.value)


@pytest.mark.parametrize("worker_id", [-1, 1024])
def test_snowflake_worker_id_out_of_range_is_refused_as_an_argument(worker_id: int) -> None:
    with pytest.raises(ConfigurationError, match="SNOWFLAKE_WORKER_ID"):
        load(snowflake_worker_id=worker_id)


def test_every_invalid_field_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "0")
    monkeypatch.setenv("SNOWFLAKE_WORKER_ID", "5000")
    with pytest.raises(ConfigurationError) as caught:
        load(database_url="oracle://x")
    message = str(caught.value)
    for name in ("PORT", "SNOWFLAKE_WORKER_ID", "DATABASE_URL"):
        assert name in message


def test_an_empty_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNOWFLAKE_WORKER_ID", "")
    monkeypatch.setenv("DATABASE_URL", "")
    settings = load()
    assert settings.snowflake_worker_id is None  # unset: each process leases one
    assert settings.is_sqlite


def test_settings_are_frozen() -> None:
    settings = load()
    with pytest.raises(ValueError):
        settings.port = 1  # type: ignore[misc]


# --- the .env file -----------------------------------------------------------------------


def test_the_env_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SNOWFLAKE_WORKER_ID=7\nDATABASE_URL=postgres://h/db\n")
    settings = load_settings()  # the default env_file
    assert settings.snowflake_worker_id == 7
    assert settings.database_url == "postgresql+asyncpg://h/db"


def test_the_environment_wins_over_the_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("SNOWFLAKE_WORKER_ID=7\n")
    monkeypatch.setenv("SNOWFLAKE_WORKER_ID", "8")
    assert load_settings().snowflake_worker_id == 8


def test_without_an_env_file_a_stray_dot_env_is_ignored(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SNOWFLAKE_WORKER_ID=7\nDATABASE_URL=mysql://nope\n")
    settings = load()
    assert settings.snowflake_worker_id is None
    assert settings.is_sqlite
