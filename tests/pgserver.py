"""A throwaway PostgreSQL 15 server for tests and benchmarks: initdb + pg_ctl in a temp dir.

The binaries come from `pg_config --bindir` (the machine image's PostgreSQL). PostgreSQL refuses
to run as root, so under root the server runs as the `postgres` system user via runuser.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from served import free_port


class PostgresUnavailable(RuntimeError):
    pass


def _bindir() -> Path:
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        raise PostgresUnavailable("pg_config not found (apt-get install postgresql)") from None
    bindir = Path(out)
    if not (bindir / "initdb").exists() or not (bindir / "pg_ctl").exists():
        raise PostgresUnavailable(f"initdb/pg_ctl missing in {bindir}")
    return bindir


class PostgresServer:
    """A running throwaway server that a test may stop and start again (same port, same data)."""

    def __init__(self, bindir: Path, workdir: Path, prefix: list[str]):
        self.bindir, self.workdir, self.prefix = bindir, workdir, prefix
        self.data, self.port = workdir / "data", free_port()
        self.dsn = f"postgresql://zkelig@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.prefix, *args], capture_output=True, text=True, cwd=self.workdir)
        if done.returncode:
            raise PostgresUnavailable(f"{Path(args[0]).name} failed: {done.stderr.strip()[-500:]}")

    def init(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "zkelig", "--no-sync")

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=100"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.workdir / "log"),
                  "-w", "start")

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` is a crash as far as clients see: every connection drops at once."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


@contextmanager
def postgres_control():
    """Yield a started PostgresServer on 127.0.0.1; the server and its files go afterwards."""
    bindir = _bindir()
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    workdir = Path(tempfile.mkdtemp(prefix="zkelig-pg-"))
    if as_root:
        shutil.chown(workdir, "postgres")
    server = PostgresServer(bindir, workdir, prefix)
    try:
        server.init()
        server.start()
        try:
            yield server
        finally:
            try:
                server.stop()
            except PostgresUnavailable:  # the test left it stopped
                pass
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def postgres_server():
    """Yield a DSN for a fresh database on 127.0.0.1; the server and its files go afterwards."""
    with postgres_control() as server:
        yield server.dsn


def fresh_database(dsn: str, name: str) -> str:
    """Create database `name` on the server at `dsn` and return its DSN."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return dsn.rsplit("/", 1)[0] + "/" + name
