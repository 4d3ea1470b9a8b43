"""There is no Docker engine on the build machines, so the compose file is checked statically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((PROJECT_DIR / name).read_text())  # type: ignore[no-any-return]


def test_compose_runs_the_app_on_postgres_after_migrations() -> None:
    services = load("docker-compose.yml")["services"]
    assert {"db", "migrate", "app"} <= set(services)

    db = services["db"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])

    migrate = services["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"

    app = services["app"]
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert "/health/ready" in " ".join(app["healthcheck"]["test"])
    for service in (migrate, app):
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@db:5432/" in service["environment"]["DATABASE_URL"]


def test_compose_runs_two_workers_with_leased_ids_and_publishes_to_nats() -> None:
    services = load("docker-compose.yml")["services"]
    app, nats = services["app"], services["nats"]
    assert int(app["environment"]["WORKERS"]) >= 2
    assert "SNOWFLAKE_WORKER_ID" not in app["environment"]  # each worker leases its own
    assert app["environment"]["EVENT_BROKER_URL"] == "nats://nats:4222"
    assert app["depends_on"]["nats"]["condition"] == "service_healthy"
    assert "-js" in nats["command"]
    assert "healthz" in " ".join(nats["healthcheck"]["test"])
    assert app["environment"]["APP_ENV"] == "production" and app["environment"]["API_KEYS"]


def test_the_dockerfile_serves_the_same_entry_point_as_make_run() -> None:
    dockerfile = (PROJECT_DIR / "Dockerfile").read_text()
    assert 'CMD ["python", "manage.py", "serve"]' in dockerfile  # exec form: gets SIGTERM
    assert "poetry install --only main --no-root" in dockerfile
    assert "USER catalogue" in dockerfile


def test_the_env_example_is_a_valid_configuration_naming_every_setting() -> None:
    from modules.platform.settings import Settings

    path = PROJECT_DIR / ".env.example"
    Settings(_env_file=path)  # type: ignore[call-arg]
    text = path.read_text()
    for name in Settings.model_fields:
        assert name.upper() in text, f"{name.upper()} is missing from .env.example"
