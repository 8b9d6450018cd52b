"""Ledger throughput and size: appends/s with group commit, proof latency, bytes per entry on disk.

Each append is one credential commitment submitted on its own (as an issuer API call would), with
many in flight; the writer commits whatever has queued as one transaction. SQLite at 10^6 entries,
PostgreSQL (a throwaway local server, fsync on) at 10^5.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, median_time, report

from service.ledger import Ledger, LedgerKey, open_store
from zkcore.merkle import rfc6962

sys.path.insert(0, str(ROOT / "tests"))
from pgserver import fresh_database, postgres_server  # noqa: E402

IN_FLIGHT = 4096


def fill(ledger: Ledger, n: int) -> float:
    ledger.register_issuer("insurer-a", b"\x01" * 32)
    start = time.perf_counter()
    for first in range(0, n, IN_FLIGHT):
        futures = [ledger.issue_async("insurer-a", [first + i + 1]) for i in range(min(IN_FLIGHT, n - first))]
        for f in futures:
            f.result()
    return n / (time.perf_counter() - start)


def measure(name: str, url: str, n: int) -> list:
    store = open_store(url)
    ledger = Ledger(store, LedgerKey.generate(), tree_depth=20)
    rate = fill(ledger, n)
    size = ledger.size
    rng = random.Random(1)
    head = ledger.head()

    def inclusion():
        i = rng.randrange(size)
        return ledger.inclusion_proof(i, size)

    def consistency():
        return ledger.consistency_proof(rng.randrange(1, size), size)

    proof = ledger.inclusion_proof(size // 3, size)
    rfc6962.verify_inclusion(size // 3, size, rfc6962.leaf_hash(ledger.entries(size // 3, size // 3 + 1)[0]), proof, head.root)
    per_entry = store.disk_bytes() / size
    rows = [
        (f"{name}: append (1 commitment per call, {IN_FLIGHT} in flight)", 1 / rate, "", None,
         f"{rate:,.0f} appends/s over {n:,} entries"),
        (f"{name}: inclusion proof at {size:,} entries", median_time(inclusion, repeat=200), "", None, ""),
        (f"{name}: consistency proof at {size:,} entries", median_time(consistency, repeat=200), "", None, ""),
        (f"{name}: bytes per entry on disk at {size:,} entries", 0.0, "", None, f"{per_entry:.1f} B (indexes included)"),
    ]
    ledger.close()
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        rows = measure("SQLite", f"sqlite:///{Path(d) / 'ledger.db'}", 1_000_000)
    with postgres_server() as dsn:
        rows += measure("PostgreSQL", fresh_database(dsn, "bench"), 100_000)
    report("Ledger: group commit, proofs, size", rows)


if __name__ == "__main__":
    main()
