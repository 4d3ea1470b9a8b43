"""ASGI entry for several uvicorn workers on a checkout whose service cannot lease
Snowflake worker ids itself: each worker process claims its own SNOWFLAKE_WORKER_ID
(1, 2, ...) before the app reads its settings, so no two workers make the same id.

    BENCH_WORKER_ID_DIR=/tmp/ids uvicorn bench.worker_app:app --workers 2 ...

A claim is a file created with O_EXCL in BENCH_WORKER_ID_DIR, so two workers never take
the same number; a worker that uvicorn restarts takes a fresh one.
"""

from __future__ import annotations

import os
from pathlib import Path


def _claim_worker_id() -> None:
    directory = os.environ.get("BENCH_WORKER_ID_DIR")
    if not directory:
        return
    for worker_id in range(1, 1022):  # 1022 and 1023: the baseline and the catalogue loader
        try:
            fd = os.open(
                Path(directory) / f"worker-{worker_id}", os.O_CREAT | os.O_EXCL | os.O_WRONLY
            )
        except FileExistsError:
            continue
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os.environ["SNOWFLAKE_WORKER_ID"] = str(worker_id)
        return
    raise RuntimeError("no Snowflake worker id left to claim")


_claim_worker_id()

from app import app  # noqa: E402

__all__ = ["app"]
