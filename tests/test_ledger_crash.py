"""kill -9 a writer 20 times: every acknowledged entry survives, every new head extends the old one."""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from service.ledger import LedgerKey, open_store
from service.ledger import entries as e
from service.ledger.audit import DatabaseSource, audit
from service.ledger.ledger import Ledger
from zkcore.merkle import rfc6962

ROOT = Path(__file__).resolve().parents[1]
KILLS = 20


def run_until_killed(url: str, key_file: Path, tag: int, rng: random.Random) -> list[str]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "ledger_writer.py"), url, str(key_file), str(tag)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for raw in proc.stdout:
            line = raw.decode()
            if line == "ready\n":
                ready.set()
            elif line.endswith("\n"):  # a line cut by the kill was never acknowledged to anyone
                lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not ready.wait(120):
        proc.kill()
        pytest.fail(f"writer did not start: {proc.stderr.read().decode()[-2000:]}")
    time.sleep(rng.uniform(0.05, 0.8))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join(10)
    proc.stderr.close()
    return lines


def test_acknowledged_entries_survive_kill_9(store_url, tmp_path):
    key_file = tmp_path / "ledger.key"
    key = LedgerKey.load_or_create(key_file)
    rng = random.Random(2026)
    acknowledged: dict[int, tuple[str, int]] = {}
    previous_head = None
    for tag in range(1, KILLS + 1):
        for line in run_until_killed(store_url, key_file, tag, rng):
            index, kind, value = line.split()
            acknowledged[int(index)] = (kind, int(value))
        ledger = Ledger(open_store(store_url), key, tree_depth=20)  # reopening checks entries against the head
        try:
            head = ledger.head()
            data = ledger.entries(0, head.size)
            for index, (kind, value) in acknowledged.items():
                entry = e.decode(data[index])
                assert (entry.leaf if kind == "commitment" else entry.nullifier) == value, index
            if previous_head is not None:
                assert head.size >= previous_head.size
                proof = ledger.consistency_proof(previous_head.size, head.size) if previous_head.size else []
                rfc6962.verify_consistency(previous_head.size, head.size, proof, previous_head.root, head.root)
            previous_head = head
        finally:
            ledger.close()
    assert len(acknowledged) > 10 * KILLS  # the writer did real work between kills
    report = audit(DatabaseSource(open_store(store_url)), key.public_key, 20)
    assert report.ok, report.problem
