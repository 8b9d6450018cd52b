"""A throwaway PostgreSQL 15 server for tests and benchmarks: initdb + pg_ctl in a temp dir.

The binaries come from `pg_config --bindir` (the machine image's PostgreSQL). PostgreSQL refuses
to run as root, so under root the server runs as the `postgres` system user via runuser.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_server():
    """Yield a DSN for a fresh database on 127.0.0.1; the server and its files go afterwards."""
    bindir = _bindir()
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    workdir = Path(tempfile.mkdtemp(prefix="zkelig-pg-"))
    if as_root:
        shutil.chown(workdir, "postgres")
    data, port = workdir / "data", _free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, cwd=workdir)
        if done.returncode:
            raise PostgresUnavailable(f"{args[0]} failed: {done.stderr.strip()[-500:]}")

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "zkelig", "--no-sync")
        opts = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=100"
        run(str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(workdir / "log"), "-w", "start")
        try:
            yield f"postgresql://zkelig@127.0.0.1:{port}/postgres"
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def fresh_database(dsn: str, name: str) -> str:
    """Create database `name` on the server at `dsn` and return its DSN."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return dsn.rsplit("/", 1)[0] + "/" + name
