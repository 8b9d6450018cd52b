"""The monitor (`zkelig audit --follow`): split views between two copies of a log signed with the
same key, entries altered after they were signed, a source that goes back, and its state file.

These serve real ledgers through the service's own /v1/ledger router on 127.0.0.1; the follow of a
full `zkelig serve` through 1,000 appends and a restart is in test_regulator.py."""

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from issuers import issue, register

from service import problems
from service.demo import LocalServer
from service.ledger import Ledger, LedgerKey, open_store
from service.monitor import HttpSource, Monitor, MonitorState, SplitView, Unreachable

ROOT = Path(__file__).resolve().parents[1]


def ledger_at(path: Path, key: LedgerKey) -> Ledger:
    return Ledger(open_store(f"sqlite:///{path}"), key, tree_depth=8)


def served(ledger: Ledger) -> LocalServer:
    """The service's ledger router over `ledger` alone (no keys, no prover: starts in milliseconds)."""
    from service.routers import ledger as ledger_router

    app = FastAPI()
    app.state.zk = SimpleNamespace(ledger=ledger)
    problems.install(app)
    app.include_router(ledger_router.router)
    return LocalServer(app)


def grow(ledger: Ledger, n: int, tag: int) -> None:
    if not ledger.has_issuer("insurer-a"):
        register(ledger, "insurer-a")
    for k in range(n):
        issue(ledger, "insurer-a", [tag * 1000 + k])


@pytest.fixture
def forked(tmp_path):
    """Two databases with a common prefix of entries, then diverging; one ledger key signs both."""
    key = LedgerKey.generate()
    common = ledger_at(tmp_path / "a.db", key)
    grow(common, 5, tag=1)
    common.close()
    for suffix in ("", "-wal", "-shm"):
        if (tmp_path / f"a.db{suffix}").exists():
            shutil.copy(tmp_path / f"a.db{suffix}", tmp_path / f"b.db{suffix}")
    a, b = ledger_at(tmp_path / "a.db", key), ledger_at(tmp_path / "b.db", key)
    yield key, a, b
    a.close()
    b.close()


def zkelig_follow(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service", "audit", "--follow", "--interval", "0", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("extra_b", [3, 6], ids=["same-size", "b-longer"])
def test_a_forked_log_served_at_two_urls_is_detected(forked, tmp_path, extra_b):
    key, a, b = forked
    grow(a, 3, tag=2)
    grow(b, extra_b, tag=3)  # same key, same prefix, different entries after it
    assert a.head().size <= b.head().size
    with served(a) as sa, served(b) as sb:
        state, evidence = tmp_path / "monitor.json", tmp_path / "evidence.json"
        run = zkelig_follow("--url", sa.url, "--url", sb.url, "--state", str(state), "--evidence", str(evidence),
                            "--public-key", key.public_key.hex(), "--max-polls", "2", "--json")
    assert run.returncode == 1, run.stdout + run.stderr
    events = [json.loads(line) for line in run.stdout.splitlines()]
    assert [e["event"] for e in events][-1] == "inconsistent"
    assert {e["source"] for e in events if e["event"] == "head"} == {sa.url, sb.url}  # each copy verifies alone
    found = json.loads(evidence.read_text())
    assert "split view" in found["problem"]
    heads = {h["source"]: h["checkpoint"] for h in found["heads"]}
    assert heads == {sa.url: a.head().to_text(), sb.url: b.head().to_text()}
    assert bool(found["proof"]) == (extra_b != 3)  # sizes differ: the failed consistency proof is kept


def test_one_copy_alone_is_consistent_and_a_restart_resumes(forked, tmp_path):
    key, a, _ = forked
    with served(a) as sa:
        state = tmp_path / "monitor.json"
        first = zkelig_follow("--url", sa.url, "--state", str(state), "--max-polls", "1")
        assert first.returncode == 0, first.stdout + first.stderr
        assert first.stdout.splitlines()[-1].startswith(f"verified {sa.url}: size {a.head().size}")
        grow(a, 4, tag=4)
        again = zkelig_follow("--url", sa.url, "--state", str(state), "--max-polls", "1", "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    events = [json.loads(line) for line in again.stdout.splitlines()]
    assert sum(e["entries_checked"] for e in events) == 4 * 3  # each issue: a commitment, its signed statement, a root
    assert events[-1]["size"] == a.head().size


def test_a_pinned_checkpoint_from_the_other_fork_is_detected(forked, tmp_path):
    key, a, b = forked
    grow(a, 2, tag=5)
    grow(b, 2, tag=6)
    pasted = tmp_path / "seen-elsewhere.checkpoint"
    pasted.write_text(b.head().to_text())
    with served(a) as sa:
        run = zkelig_follow("--url", sa.url, "--checkpoint", str(pasted), "--state", str(tmp_path / "s.json"),
                            "--max-polls", "1")
    assert run.returncode == 1 and "split view" in run.stdout, run.stdout + run.stderr


def _tamper(db: Path, index: int, change) -> None:
    with sqlite3.connect(db) as conn:
        (data,), = conn.execute("SELECT data FROM entries WHERE idx = ?", (index,))
        conn.execute("UPDATE entries SET data = ? WHERE idx = ?", (change(bytes(data)), index))


@pytest.mark.parametrize("change, problem", [
    (lambda d: d[:-1] + bytes([d[-1] ^ 1]), "was altered"),  # a commitment's leaf: decodes, wrong root
    (lambda d: d[:1] + b"\x63" + d[2:], "not a canonical entry"),  # an unknown kind
])
def test_an_entry_altered_after_signing_is_caught(tmp_path, change, problem):
    key = LedgerKey.generate()
    ledger = ledger_at(tmp_path / "a.db", key)
    grow(ledger, 3, tag=7)
    with served(ledger) as server:
        monitor = Monitor([HttpSource(server.url)], MonitorState(key.public_key))
        monitor.poll()
        verified = ledger.head().size
        grow(ledger, 3, tag=8)
        _tamper(tmp_path / "a.db", verified + 2, change)
        with pytest.raises(SplitView) as caught:
            monitor.poll()
    assert problem in caught.value.problem
    assert caught.value.first_entry in (verified + 2, verified + 2 - 1, verified)  # named, or its signed range
    assert verified <= caught.value.first_entry <= verified + 2
    kept = monitor.state.sources[server.url]  # the state keeps the last head that verified
    assert verified <= kept.range.size <= caught.value.first_entry and kept.head.size == kept.range.size
    ledger.close()


def test_a_source_that_goes_back_is_caught(forked, tmp_path):
    key, a, b = forked
    grow(a, 4, tag=9)
    with served(a) as sa:
        state = MonitorState(key.public_key)
        Monitor([HttpSource(sa.url)], state).poll()
    path = tmp_path / "state.json"
    state.save(path)
    state = MonitorState.load(path)  # a restarted monitor, now shown the shorter copy at the same URL
    state.sources = {"shorter": state.sources.pop(sa.url)}
    with served(b) as sb:
        source = HttpSource(sb.url)
        source.name = "shorter"
        with pytest.raises(SplitView) as caught:
            Monitor([source], state).poll()
    assert "went back" in caught.value.problem and len(caught.value.heads) == 2


def test_an_unreachable_source_is_retried_not_convicted(tmp_path):
    with pytest.raises(Unreachable):
        Monitor([HttpSource("http://127.0.0.1:9", timeout=2)], MonitorState()).poll()


def test_bad_state_files_are_refused_in_one_line(tmp_path):
    state = tmp_path / "state.json"
    state.write_text('{"version": 1, "sources": {"x": {"checkpoint": null, "size": 3, "range": []}}}')
    run = zkelig_follow("--url", "http://127.0.0.1:9", "--state", str(state), "--max-polls", "1")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "usable monitor state" in " ".join(w for w in run.stderr.split() if w != "│")
