"""Command line of the service: `python manage.py migrate | serve`.

Settings are read and validated first, so a bad DATABASE_URL or PORT stops here with a
clear message instead of a traceback from deep inside the server.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from modules.shared.infrastructure.settings import ConfigurationError, Settings, get_settings

PROJECT_DIR = Path(__file__).resolve().parent


def migrate(settings: Settings) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_DIR / "alembic.ini"))
    config.attributes["database_url"] = settings.database_url
    command.upgrade(config, "head")


def serve(settings: Settings) -> None:
    import uvicorn

    uvicorn.run(
        "app:app",
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        proxy_headers=False,
        timeout_graceful_shutdown=10,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__)
    parser.add_argument("command", choices=["migrate", "serve"])
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        migrate(settings)
    else:
        serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
