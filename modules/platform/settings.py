"""Settings, from the environment and an optional `.env` file, validated at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{PROJECT_DIR / 'catalogue.db'}"

_DRIVER_FOR_SCHEME = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_ignore_empty=True, extra="ignore", frozen=True
    )

    app_env: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    database_url: str = DEFAULT_DATABASE_URL
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # PostgreSQL: the read side's own pool of raw asyncpg connections (per process).
    db_read_pool_size: int = Field(default=10, ge=1, le=200)
    db_echo: bool = False
    # Unset: every process leases a free worker id in the database (see worker_ids.py).
    snowflake_worker_id: int | None = Field(default=None, ge=0, le=1023)
    worker_id_lease_seconds: float = Field(default=30.0, ge=2, le=3600)
    workers: int = Field(default=1, ge=1, le=64)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # The request head (request line and header fields): larger or longer ones get 431.
    max_header_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    max_header_count: int = Field(default=100, ge=10, le=10_000)
    # A request head must arrive whole this long after its first byte (the server's job);
    # a body, this long after the head.
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Unset: readable lines in development, JSON lines (for a log pipeline) otherwise.
    log_format: Literal["json", "console"] | None = None
    access_log: bool = True
    otel_enabled: bool = False
    db_statement_timeout_seconds: float = Field(default=15.0, gt=0, le=3600)
    db_startup_wait_seconds: float = Field(default=30.0, ge=0, le=600)

    # Write protection: with keys set, every write needs "Authorization: Bearer <key>".
    api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list, repr=False)
    docs_enabled: bool = True
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    cors_allow_credentials: bool = False
    # Host names this service answers to ("*.example.com" for subdomains); empty: any.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Refuse (428) a PATCH or DELETE without If-Match: no client can overwrite a change it
    # has not seen. Off by default, so a plain `curl -X PATCH` works while trying it out.
    require_if_match: bool = False
    idempotency_key_ttl_seconds: int = Field(default=24 * 3600, ge=60, le=30 * 24 * 3600)
    # A key claimed longer ago than this, with no outcome, belongs to a request that died:
    # a retry may take it over. Keep it well above the longest request.
    idempotency_lock_seconds: int = Field(default=60, ge=1, le=3600)

    # Events (transactional outbox): deliver right after the commit, waiting at most this
    # long before answering; a background relay delivers whatever is left.
    event_inline_delivery: bool = True
    event_inline_wait_seconds: float = Field(default=1.0, ge=0, le=30)
    outbox_relay_enabled: bool = True
    outbox_poll_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    outbox_batch_size: int = Field(default=100, ge=1, le=10_000)
    outbox_relay_concurrency: int = Field(default=8, ge=1, le=100)
    outbox_lease_seconds: float = Field(default=30.0, gt=0, le=3600)
    outbox_max_attempts: int = Field(default=10, ge=1, le=1000)
    outbox_backoff_base_seconds: float = Field(default=0.5, gt=0, le=3600)
    outbox_backoff_max_seconds: float = Field(default=300.0, gt=0, le=86_400)
    outbox_stats_interval_seconds: float = Field(default=10.0, gt=0, le=3600)
    shutdown_grace_seconds: float = Field(default=10.0, ge=0, le=600)
    # SIGTERM: readiness turns 503 and everything is still served this long, so that the
    # load balancer stops sending before the port closes.
    shutdown_drain_seconds: float = Field(default=5.0, ge=0, le=600)
    # WORKERS>1: where the workers keep their Prometheus figures (wiped at start);
    # unset: a temporary directory. prometheus_client reads the same variable.
    prometheus_multiproc_dir: Path | None = None

    # Integration events through NATS JetStream (optional).
    event_broker_url: str | None = None
    event_broker_stream: str = Field(default="CATALOGUE", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    event_broker_subject_prefix: str = Field(
        default="catalogue.events", pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"
    )
    # in-process: this process runs the handlers (and also publishes, with a broker);
    # broker: it only publishes, and `manage.py consume-events` runs the handlers.
    event_handlers: Literal["in-process", "broker"] = "in-process"

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        """Accept the usual spellings and pin the async driver this service uses."""
        scheme, sep, rest = url.partition("://")
        if not sep or scheme not in _DRIVER_FOR_SCHEME:
            raise ValueError(
                "must start with postgresql:// (or postgresql+asyncpg://) or "
                "sqlite:/// (or sqlite+aiosqlite:///)"
            )
        driver = _DRIVER_FOR_SCHEME[scheme]
        if driver.startswith("sqlite"):
            path = rest.partition("?")[0]
            if not path.startswith("/") or path.lstrip("/") in ("", ":memory:"):
                raise ValueError(
                    "SQLite needs a file path, as in sqlite:///./catalogue.db "
                    "(an in-memory database would be one per connection)"
                )
        elif not rest.strip("/"):
            raise ValueError("a PostgreSQL URL needs a host and a database")
        return f"{driver}://{rest}"

    @field_validator("event_broker_url")
    @classmethod
    def _nats_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("nats://", "tls://")):
            raise ValueError("must be a NATS URL, as in nats://127.0.0.1:4222")
        return url

    @field_validator("api_keys", "cors_origins", "allowed_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _host_patterns(cls, hosts: list[str]) -> list[str]:
        for host in hosts:
            if host != "*" and ("*" in host[1:] or host.startswith("*") and host[1:2] != "."):
                raise ValueError(f"{host!r}: a wildcard must be a whole label, as in *.example.com")
        return [host.lower() for host in hosts]

    @field_validator("api_keys")
    @classmethod
    def _keys_long_enough(cls, keys: list[str]) -> list[str]:
        if any(len(key) < 16 for key in keys):
            raise ValueError("every API key must be at least 16 characters long")
        return keys

    @model_validator(mode="after")
    def _safe_for_production(self) -> Self:
        if "*" in self.cors_origins and self.cors_allow_credentials:
            raise ValueError(
                "CORS_ORIGINS=* cannot be combined with CORS_ALLOW_CREDENTIALS=true; "
                "list the allowed origins"
            )
        if self.workers > 1 and self.snowflake_worker_id is not None:
            raise ValueError(
                "SNOWFLAKE_WORKER_ID would be shared by all WORKERS; leave it unset so that "
                "each worker leases its own"
            )
        if self.event_handlers == "broker" and not self.event_broker_url:
            raise ValueError("EVENT_HANDLERS=broker needs EVENT_BROKER_URL")
        if self.app_env == "production" and not self.api_keys:
            raise ValueError("APP_ENV=production needs API_KEYS: writes must not be open")
        return self

    @property
    def log_renderer(self) -> Literal["json", "console"]:
        if self.log_format is not None:
            return self.log_format
        return "console" if self.app_env == "development" else "json"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class ConfigurationError(RuntimeError):
    pass


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one clear message per field."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # validated right here
    except ValidationError as error:
        lines = []
        for e in error.errors():
            where = ".".join(str(p) for p in e["loc"]).upper()
            message = e["msg"].removeprefix("Value error, ")
            lines.append(f"  {where}: {message}" if where else f"  {message}")
        raise ConfigurationError("invalid configuration:\n" + "\n".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
