"""The service as deployed, against real `zkelig serve --workers 2` processes: a database that cannot
be written (a full disk, PostgreSQL stopped) gives 503 with Retry-After and recovers by itself with
the same workers; docs render from the service's own assets; files are private; access logs carry
no wallet id; oversized bodies get 413 however they arrive."""

from __future__ import annotations

import base64
import os
import re
import stat
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from conftest import in_ci
from served import ADMIN, children, serving

from service.client import ApiAuditSource
from service.ledger.audit import audit

PASS = "a sufficiently long passphrase"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


def _tmpfs(path: Path, size: str):
    """Mount a size-limited tmpfs at `path` (root only); a failure fails under CI, skips elsewhere."""
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode:
        message = f"cannot mount a tmpfs (needs root): {done.stderr.strip()}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def small_disk(tmp_path_factory, query_keys):
    """`zkelig serve --init --workers 2` with its data directory on an 8 MiB tmpfs."""
    base = tmp_path_factory.mktemp("faults")
    mount = base / "disk"
    _tmpfs(mount, "8m")
    try:
        env = {"ZKELIG_KEYS": str(query_keys.directory.parent)}
        with serving("--init", "--data-dir", str(mount / "data"), env=env, log=base / "serve.log") as (proc, url):
            yield proc, url, mount / "data", base / "serve.log"
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _register(url: str, name: str) -> httpx.Response:
    """A ledger write (the writer thread's path)."""
    body = {"name": name, "public_key": base64.b64encode(os.urandom(32)).decode()}
    return httpx.post(url + "/v1/issuers", json=body, headers=AUTH, timeout=60)


def _new_key(url: str) -> httpx.Response:
    """A write of the service's own records (a request thread's path)."""
    return httpx.post(url + "/v1/admin/keys", json={"role": "auditor"}, headers=AUTH, timeout=60)


def test_docs_render_from_the_service_itself(small_disk):
    _, url, _, _ = small_disk
    for page in ("/docs", "/redoc"):
        html = httpx.get(url + page, timeout=30)
        assert html.status_code == 200 and "text/html" in html.headers["content-type"]
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", html.text), "the page names another host"
        assets = re.findall(r'(?:src|href|spec-url)="([^"]+)"', html.text) + re.findall(r"url: '([^']+)'", html.text)
        assert len(assets) >= 2
        for asset in assets:
            assert asset.startswith("/"), asset
            got = httpx.get(url + asset, timeout=30)
            assert got.status_code == 200 and len(got.content) > 1000, asset


def test_oversized_bodies_get_413_however_they_arrive(small_disk):
    _, url, _, _ = small_disk
    path = url + "/v1/holders/wallets/some-wallet/open"
    big = b'{"passphrase": "' + b"x" * 300_000 + b'"}'

    def chunks(data: bytes, size: int = 16_384):
        for i in range(0, len(data), size):
            yield data[i:i + size]

    headers = {"Content-Type": "application/json"}
    declared = httpx.post(path, content=big, headers=headers, timeout=30)
    chunked = httpx.post(path, content=chunks(big), headers=headers, timeout=30)
    for response in (declared, chunked):
        assert response.status_code == 413 and response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "body_too_large"
    assert "content-length" not in chunked.request.headers  # it really went chunked
    small = httpx.post(path, content=chunks(b'{"passphrase": "' + b"y" * 20 + b'"}', 4), headers=headers, timeout=30)
    assert small.status_code == 404 and small.json()["code"] == "wallet_locked"  # read, parsed, answered


def test_validation_problems_state_the_rule(small_disk):
    _, url, _, _ = small_disk
    short = httpx.post(url + "/v1/holders/wallets", json={"passphrase": "short"}, timeout=30).json()
    assert short["detail"] == "body.passphrase must be at least 8 characters" and "short" not in short["detail"]
    bad_role = httpx.post(url + "/v1/admin/keys", json={"role": "root"}, headers=AUTH, timeout=30).json()
    assert "body.role must be one of" in bad_role["detail"] and "'verifier'" in bad_role["detail"]
    assert "root" not in bad_role["detail"]
    bad_name = httpx.post(url + "/v1/issuers", json={"name": "Bad Name", "public_key": "A" * 44}, headers=AUTH,
                          timeout=30).json()
    assert "body.name must match the pattern ^[a-z0-9][a-z0-9._-]{0,62}$" in bad_name["detail"]
    assert "Bad Name" not in bad_name["detail"]
    preset = httpx.post(url + "/v1/verifiers/v/requests", json={"scope": "v/x", "issuers": ["a"], "preset": "nope"},
                        headers=AUTH, timeout=30).json()
    assert "'age_at_least'" in preset["detail"] and "nope" not in preset["detail"]
    years = httpx.post(url + "/v1/verifiers/v/requests", headers=AUTH, timeout=30,
                       json={"scope": "v/x", "issuers": ["a"], "preset": "age_at_least",
                             "params": {"years": 999}}).json()
    assert "body.params.years must be ≤ 150" in years["detail"] and "999" not in years["detail"]


def test_wallet_ids_are_not_in_access_logs(small_disk):
    _, url, _, log = small_disk
    made = httpx.post(url + "/v1/holders/wallets", json={"passphrase": PASS}, timeout=60)
    assert made.status_code == 201
    wallet_id = made.json()["wallet_id"]
    opened = httpx.post(f"{url}/v1/holders/wallets/{wallet_id}/open", json={"passphrase": PASS}, timeout=60)
    assert opened.status_code == 200
    time.sleep(0.5)  # the access line is written after the response
    text = log.read_text(errors="replace")
    assert "POST /v1/holders/wallets/{wallet_id}/open" in text  # the line is there, the id is not
    assert wallet_id not in text


def test_data_files_are_private(small_disk):
    _, url, data, _ = small_disk
    assert _new_key(url).status_code == 201  # WAL and shared-memory files exist once written
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir()}
    assert {"ledger.db", "ledger.db-wal", "ledger.db-shm", "ledger.key"} <= set(files)
    assert all(mode == 0o600 for mode in files.values()), files


def _fill(mount: Path) -> Path:
    """Write a file until the filesystem is full (unbuffered, down to the last small block)."""
    filler = mount / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def test_ledger_on_a_full_disk_refuses_then_recovers_in_process(tmp_path):
    """The same fault without HTTP: StoreUnavailable (not a driver error), the writer thread lives,
    reads answer from the last committed state, and writes resume once space is back."""
    from issuers import issue, register

    from service.ledger import Ledger, LedgerKey, StoreUnavailable, open_store

    mount = tmp_path / "disk"
    _tmpfs(mount, "4m")
    try:
        ledger = Ledger(open_store(f"sqlite:///{mount / 'ledger.db'}"), LedgerKey.load_or_create(mount / "ledger.key"),
                        tree_depth=8)
        register(ledger, "before")  # issuance is signed by the issuer's key (tests/issuers.py)
        issue(ledger, "before", [7])
        filler = _fill(mount)
        refused = None
        for _ in range(3000):
            try:
                issue(ledger, "before", list(range(1, 65)))
            except StoreUnavailable as err:
                refused = err
                break
        assert refused is not None, "the full disk never refused a write"
        assert ledger._writer.is_alive()
        ledger.refresh()
        committed = ledger.head().size
        assert ledger.path("before", 0).siblings and ledger.issuer_root("before") in ledger.accepted_roots("before")
        filler.unlink()
        ledger.register_issuer("after", bytes(32))
        assert ledger.head().size > committed and ledger._writer.is_alive()
        ledger.close()
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_gives_503_then_recovers_with_the_same_workers(small_disk):
    """Writes on a full disk are refused with 503 + Retry-After (never 500), reads still answer,
    and once space is back the same two workers write again without a restart."""
    proc, url, data, _ = small_disk
    workers = children(proc.pid)
    assert _register(url, "before-the-fault").status_code == 201
    filler = _fill(data.parent)
    try:
        statuses: dict[str, list[int]] = {"ledger": [], "records": []}
        refusal = None
        for i in range(1500):
            for kind, response in (("ledger", _register(url, f"during-{i}")), ("records", _new_key(url))):
                statuses[kind].append(response.status_code)
                if response.status_code == 503:
                    refusal = response
            if all(503 in s[-3:] for s in statuses.values()):
                break
        seen = {code for s in statuses.values() for code in s}
        assert seen <= {201, 503}, statuses
        assert all(503 in s for s in statuses.values()), "the full disk never refused a write"
        assert refusal.headers["content-type"] == "application/problem+json"
        assert int(refusal.headers["retry-after"]) > 0 and refusal.json()["code"] == "unavailable"
        # reads that need no write keep working
        assert httpx.get(url + "/v1/ledger/head", timeout=30).status_code == 200
        assert httpx.get(url + "/v1/ledger/issuers/before-the-fault/roots", timeout=30).status_code == 200
        assert httpx.get(url + "/v1/ledger/entries?start=0&end=5", timeout=30).status_code == 200
    finally:
        filler.unlink()
    deadline = time.time() + 60
    while _register(url, f"after-{time.time_ns()}").status_code != 201:
        assert time.time() < deadline, "writes did not resume"
        time.sleep(0.5)
    for i in range(10):  # both workers (connections are spread over them) write again
        assert _register(url, f"after-{i}").status_code == 201
        assert _new_key(url).status_code == 201
    assert children(proc.pid) == workers and proc.poll() is None
    key = base64.b64decode(httpx.get(url + "/v1/ledger/key", timeout=30).json()["public_key"])
    report = audit(ApiAuditSource(url), key)
    assert report.ok, report.problem


def test_postgresql_stopped_and_restarted_under_the_service(tmp_path, query_keys):
    from pgserver import PostgresUnavailable, fresh_database, postgres_control

    try:
        control = postgres_control()
        server = control.__enter__()
    except PostgresUnavailable as err:
        if in_ci():
            pytest.fail(f"PostgreSQL is needed in CI: {err}")
        pytest.skip(str(err))
    try:
        dsn = fresh_database(server.dsn, "faults")
        env = {"ZKELIG_KEYS": str(query_keys.directory.parent)}
        args = ("--init", "--data-dir", str(tmp_path / "data"), "--database", dsn)
        with serving(*args, env=env, log=tmp_path / "serve.log") as (proc, url):
            workers = children(proc.pid)
            assert _register(url, "before-the-fault").status_code == 201
            server.stop()
            for i in range(6):
                for response in (_register(url, f"down-{i}"), _new_key(url),
                                 httpx.get(url + "/v1/ledger/head", timeout=30)):
                    assert response.status_code == 503, response.text
                    assert response.headers["content-type"] == "application/problem+json"
                    assert int(response.headers["retry-after"]) > 0
            assert httpx.get(url + "/v1/ledger/key", timeout=30).status_code == 200  # needs no database
            server.start()
            deadline = time.time() + 60
            while _register(url, f"back-{time.time_ns()}").status_code != 201:
                assert time.time() < deadline, "writes did not resume"
                time.sleep(0.5)
            for i in range(10):
                assert _register(url, f"back-{i}").status_code == 201
                assert _new_key(url).status_code == 201
                assert httpx.get(url + "/v1/ledger/issuers/before-the-fault/roots", timeout=30).status_code == 200
            assert children(proc.pid) == workers and proc.poll() is None
            key = base64.b64decode(httpx.get(url + "/v1/ledger/key", timeout=30).json()["public_key"])
            report = audit(ApiAuditSource(url), key)
            assert report.ok, report.problem
    finally:
        control.__exit__(None, None, None)


def test_opening_without_create_never_makes_a_ledger(store_url, tmp_path):
    """What `audit --db` and `serve` without --init rely on: an empty database is refused, untouched."""
    from service.ledger import NoLedger, open_store

    with pytest.raises(NoLedger):
        open_store(store_url, create=False)
    if store_url.startswith("sqlite"):
        assert not Path(store_url[len("sqlite:///"):]).exists()
    else:
        import psycopg

        with psycopg.connect(store_url) as conn:
            assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0
    open_store(store_url).close()  # creating it ...
    open_store(store_url, create=False).close()  # ... makes it openable
