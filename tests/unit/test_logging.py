"""Logs: readable lines in development, JSON lines in test and production."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from modules.platform.observability import configure_logging
from modules.platform.settings import Settings


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """configure_logging replaces the root handler; put back whatever the suite had."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers, root.level = handlers, level


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def formatted(configured: Settings) -> str:
    configure_logging(configured)
    formatter = logging.getLogger().handlers[0].formatter
    assert formatter is not None
    record = logging.LogRecord(
        "modules.outbox", logging.WARNING, __file__, 1, "outbox is %s", ("slow",), None
    )
    return formatter.format(record)


@pytest.mark.parametrize("app_env", ["test", "production"])
def test_outside_development_each_log_line_is_a_json_object(app_env: str) -> None:
    line = formatted(settings(app_env=app_env, api_keys=["k" * 16]))
    entry = json.loads(line)
    assert entry["event"] == "outbox is slow"
    assert entry["level"] == "warning"
    assert entry["logger"] == "modules.outbox"


def test_in_development_a_log_line_is_for_a_person_to_read(
    capsys: pytest.CaptureFixture[str],  # stdout is then no terminal, so no colour codes
) -> None:
    line = formatted(settings(app_env="development"))
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)
    assert "outbox is slow" in line
    assert "warning" in line and "modules.outbox" in line
    assert "\x1b[" not in line


def test_log_format_overrides_what_the_environment_would_choose() -> None:
    development_json = settings(app_env="development", log_format="json")
    assert json.loads(formatted(development_json))["event"] == "outbox is slow"
    test_console = settings(app_env="test", log_format="console")
    assert "outbox is slow" in formatted(test_console)
    with pytest.raises(json.JSONDecodeError):
        json.loads(formatted(test_console))
