"""Ledger throughput and size: appends/s with group commit, proof latency, bytes per entry on disk.

Each append is a signed issuance (service.ledger.statements) submitted on its own, as an issuer API
call would be, with many in flight; the writer checks each against the issuer's tree and commits
whatever has queued as one transaction. The issuer's side (its copy of the tree, the signatures) is
done before the clock starts. SQLite at 10^6 commitments in calls of 16 (and 20,000 calls of one),
PostgreSQL (a throwaway local server, fsync on) at 10^5.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, median_time, report

from service.ledger import IssuerKey, Ledger, LedgerKey, open_store
from zkcore.merkle import rfc6962
from zkcore.merkle.poseidon_tree import PoseidonTree

sys.path.insert(0, str(ROOT / "tests"))
from pgserver import fresh_database, postgres_server  # noqa: E402

IN_FLIGHT = 4096  # commitments queued at once


def signed_calls(ledger: Ledger, issuer: str, key: IssuerKey, first: int, n: int, per_call: int) -> list:
    """The issuer's side, done ahead: n leaves after `first`, in signed calls of `per_call`."""
    mirror = PoseidonTree.from_leaves(ledger.tree_depth, list(range(1, first + 1)))
    calls = []
    for start in range(first, first + n, per_call):
        leaves = list(range(start + 1, min(first + n, start + per_call) + 1))
        mirror.extend(leaves)
        calls.append(key.sign_issuance_at(ledger.origin, issuer, start, leaves, mirror.root))
    return calls


def fill(ledger: Ledger, calls: list) -> float:
    """Commitments per second through the writer, the calls submitted with IN_FLIGHT commitments queued."""
    start, n = time.perf_counter(), sum(len(c.leaves) for c in calls)
    step = max(1, IN_FLIGHT // len(calls[0].leaves))
    for i in range(0, len(calls), step):
        for f in [ledger.issue_async("insurer-a", c) for c in calls[i : i + step]]:
            f.result()
    return n / (time.perf_counter() - start)


def measure(name: str, url: str, n: int) -> list:
    store = open_store(url)
    ledger = Ledger(store, LedgerKey.generate(), tree_depth=20)
    key = IssuerKey.generate()
    ledger.register_issuer("insurer-a", key.public_key)
    singles = min(20_000, n // 10)
    single_rate = fill(ledger, signed_calls(ledger, "insurer-a", key, 0, singles, 1))
    rate = fill(ledger, signed_calls(ledger, "insurer-a", key, singles, n - singles, 16))
    size = ledger.size
    rng = random.Random(1)
    head = ledger.head()

    def inclusion():
        i = rng.randrange(size)
        return ledger.inclusion_proof(i, size)

    def consistency():
        return ledger.consistency_proof(rng.randrange(1, size), size)

    proof = ledger.inclusion_proof(size // 3, size)
    rfc6962.verify_inclusion(
        size // 3, size, rfc6962.leaf_hash(ledger.entries(size // 3, size // 3 + 1)[0]), proof, head.root
    )
    per_entry = store.disk_bytes() / size
    rows = [
        (
            f"{name}: append (signed calls of 16 commitments, {IN_FLIGHT} in flight)",
            1 / rate,
            "",
            None,
            f"{rate:,.0f} commitments/s, {n:,} in all ({size:,} entries)",
        ),
        (
            f"{name}: append (signed calls of 1 commitment, {IN_FLIGHT} in flight)",
            1 / single_rate,
            "",
            None,
            f"{single_rate:,.0f} commitments/s over {singles:,} calls",
        ),
        (f"{name}: inclusion proof at {size:,} entries", median_time(inclusion, repeat=200), "", None, ""),
        (f"{name}: consistency proof at {size:,} entries", median_time(consistency, repeat=200), "", None, ""),
        (
            f"{name}: bytes per entry on disk at {size:,} entries",
            0.0,
            "",
            None,
            f"{per_entry:.1f} B (indexes included)",
        ),
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
