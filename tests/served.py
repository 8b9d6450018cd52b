"""`zkelig serve` in its own process for tests: start, wait until every worker answers, stop.

Also the worker processes' ids, so that a test can tell that none died."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "zk_" + secrets.token_urlsafe(32)  # 256 bits, as the service demands of an admin key


def ledger_day(clear_minutes: float = 10) -> dt.date:
    """Today's UTC date, the ledger's day, once UTC midnight is at least `clear_minutes` away (waiting it
    out if nearer): a fixture whose entries and checks must share one ledger day takes its day here, when
    it makes the entries. A day taken at import is stale by the time a long run reaches the test."""
    now = dt.datetime.now(dt.UTC)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    if midnight - now < dt.timedelta(minutes=clear_minutes):
        time.sleep((midnight - now).total_seconds() + 1)
    return dt.datetime.now(dt.UTC).date()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def zkelig(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def children(pid: int) -> set[int]:
    """Direct child processes of `pid` (uvicorn's workers, and multiprocessing's helper)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(x) for x in text.split()}


@contextmanager
def serving(*args: str, env: dict | None = None, log: Path, workers: int = 2, start_timeout: float = 420):
    """Yield (process, base URL) of `zkelig serve --workers N …` once it answers; stop it afterwards.

    The one way tests start the service. `env` adds to this process's environment (None unsets a
    variable); the admin key is ADMIN unless `env` names another."""
    port = free_port()
    full_env = {k: v for k, v in {**os.environ, "ZKELIG_ADMIN_KEY": ADMIN, **(env or {})}.items() if v is not None}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "service", "serve", "--port", str(port), "--workers",
                                 str(workers), *args], cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + start_timeout
        # Each worker logs its start-up once it has loaded the ledger and keys and warmed up.
        while log.read_text(errors="replace").count("Application startup complete") < workers:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"service did not start: {log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        httpx.get(url + "/v1/ledger/key", timeout=30).raise_for_status()
        yield proc, url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
