"""Shared fixtures: the third-party vectors folder and py_ecc conversions (the slow oracle)."""

import json
import os
from pathlib import Path

import pytest
from early import Early
from hypothesis import HealthCheck, settings

from service.settings import shared_dir

# Kernels compile on first use; keep hypothesis from calling that a slow example.
settings.register_profile("zkelig", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60)
settings.load_profile("zkelig")

SHARED = shared_dir()
pytest_plugins = ["web_fixtures"]  # the real server, headless Chromium, request recorder and screenshots for pages
# Tests serve keys from a single-party setup; the service refuses those outside development mode.
os.environ.setdefault("ZKELIG_DEV_SETUP", "1")


def pytest_configure(config):
    if not SHARED.is_dir():
        raise pytest.UsageError(f"third-party fixtures not found at {SHARED}; set ZKELIG_SHARED")


def _waiting_module(item):
    module = getattr(item, "module", None)  # a doctest item has none
    return module if hasattr(module, "start_early") else None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Run the modules that wait for a slow child last (see early.py); the order within each part stays."""
    items.sort(key=lambda item: _waiting_module(item) is not None)


def pytest_collection_finish(session):
    """Start the slow children the selected tests need, once every deselection (-k, -m, --lf) is done."""
    if session.config.option.collectonly:
        return
    waiting = {_waiting_module(item) for item in session.items} - {None}
    for module in sorted(waiting, key=lambda module: module.__name__):
        try:
            module.start_early([item for item in session.items if _waiting_module(item) is module])
        except OSError:
            pass  # e.g. a folder it cannot make: the test that waits starts it again and reports why


def pytest_sessionfinish(session, exitstatus):
    Early.stop_all()


@pytest.fixture(scope="session")
def shared() -> Path:
    return SHARED


def load_vectors(name: str):
    return json.loads((SHARED / "vectors" / name).read_text())


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


NODE_MODULES = Path(__file__).resolve().parents[1] / "node_modules"


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """The project's npm peers (snarkjs, circomlibjs), installed by `make test` from package-lock.json.

    Missing under CI is a failure, not a skip: these tests must run there.
    """
    if not (NODE_MODULES / "circomlibjs").is_dir() or not (NODE_MODULES / "snarkjs").is_dir():
        message = f"npm peers missing in {NODE_MODULES}; `make test` installs them"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return NODE_MODULES


@pytest.fixture(scope="session")
def workload(shared):
    """The eligibility-5654 peer workload: its folder, snarkjs proving key and witness."""
    from zkcore.groth16 import read_wtns, read_zkey

    folder = shared / "bench" / "eligibility-5654"
    return folder, read_zkey(folder / "circuit.zkey"), read_wtns(folder / "witness.wtns")


@pytest.fixture(scope="session")
def query_keys():
    """The credential query circuit's depth-20 keys, generated once into .zkelig/keys and reused."""
    from service.keys import ensure_keys

    return ensure_keys(replace_stale=True)


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL server (initdb + pg_ctl); missing under CI is a failure, not a skip."""
    from pgserver import PostgresUnavailable, postgres_server

    try:
        with postgres_server() as dsn:
            yield dsn
    except PostgresUnavailable as err:
        if in_ci():
            pytest.fail(f"PostgreSQL is needed in CI: {err}")
        pytest.skip(str(err))


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path):
    """A URL for an empty ledger database on each store (the same tests run against both)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    from pgserver import fresh_database

    dsn = request.getfixturevalue("pg_server")
    return fresh_database(dsn, f"t{abs(hash(request.node.nodeid)) % 10**12}")
