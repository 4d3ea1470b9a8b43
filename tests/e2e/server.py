"""A real server process (`python manage.py serve`) for the tests that kill or signal it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2

PROJECT_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    def __init__(
        self, database_url: str, log_path: Path, *, app: str | None = None, **settings: str
    ) -> None:
        """`app`: another ASGI app to serve ("module:attribute"), run by uvicorn itself."""
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("DB_", "OUTBOX_", "EVENT_"))
        }
        env.update(
            DATABASE_URL=database_url,
            HOST="127.0.0.1",
            PORT=str(self.port),
            LOG_LEVEL="INFO",
            SHUTDOWN_DRAIN_SECONDS="0",  # stop at once, unless a test is about the drain
        )
        env.update({k.upper(): v for k, v in settings.items()})
        self._log = log_path.open("ab")
        command = ["manage.py", "serve"]
        if app is not None:
            command = ["-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [sys.executable, *command],
            cwd=PROJECT_DIR,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_until_live()
        except BaseException:
            self.stop()  # not left running after the test
            raise

    def _wait_until_live(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                if httpx2.get(f"{self.base_url}/health/live", timeout=0.5).status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()  # no process left behind
        raise TimeoutError("server did not come up")

    def kill_9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
