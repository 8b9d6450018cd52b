"""`zkelig demo`: the end-to-end story, as far as the system is built.

Today: the cryptographic core. A holder's credential leaf goes into an issuer's Poseidon tree
and an RFC 6962 log; a snarkjs-format eligibility proof is produced by zkelig's prover from the
reference proving key and witness, verified singly and in batches, and a tampered one refused.
Issuance through the API, the ledger store and the service join as they land.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

console = Console()


def shared_dir() -> Path:
    """The shared fixtures folder: $ZKELIG_SHARED, else ../shared beside the repository."""
    env = os.environ.get("ZKELIG_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared"


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - t) * 1e3


def run_demo() -> int:
    from zkcore.groth16 import (
        Proof,
        VerifyingKey,
        batch_verify,
        prove,
        public_inputs_from_snarkjs,
        public_signals,
        read_wtns,
        read_zkey,
        verify,
    )
    from zkcore.merkle import PoseidonTree, verify_path
    from zkcore.merkle import rfc6962
    from zkcore.poseidon import poseidon

    rows: list[tuple[str, str, str]] = []
    failures = 0

    def record(what: str, passed: bool, ms: float) -> None:
        nonlocal failures
        failures += not passed
        rows.append((what, "[green]yes[/green]" if passed else "[red]NO[/red]", f"{ms:,.1f} ms"))

    bench = shared_dir() / "bench" / "eligibility-5654"
    if not bench.is_dir():
        console.print(f"[red]missing fixtures: {bench}[/red] (set ZKELIG_SHARED)")
        return 2
    # Timings below exclude numba's one-off compilation, done (and cached on disk) here.
    with console.status("compiling kernels (cached after the first run)…"):
        vk = VerifyingKey.from_snarkjs(json.loads((bench / "verification_key.json").read_text()))
        proof = Proof.from_snarkjs(json.loads((bench / "proof.json").read_text()))
        public = public_inputs_from_snarkjs(json.loads((bench / "public.json").read_text()))
        verify(vk, proof, public)
        batch_verify(vk, [(proof, public)] * 2)
        PoseidonTree.from_leaves(4, [1, 2, 3])

    secret, birthdate, insured_until, plan = 0x5EC12E7, 9_000, 21_000, 42
    leaf = poseidon([poseidon([secret]), birthdate, insured_until, plan])
    others = [poseidon([i]) for i in range(1, 1_000)]
    (tree, ms) = _timed(lambda: PoseidonTree.from_leaves(20, [*others, leaf]))
    record("issuer tree: 1,000 credential commitments, depth 20", tree.size == 1_000, ms)
    ok, ms = _timed(lambda: verify_path(tree.root, leaf, tree.path(999)))
    record("holder's membership path checks against the root", ok, ms)
    store = rfc6962.MemoryNodeStore()
    for i in range(1_000):
        store.append(rfc6962.leaf_hash(i.to_bytes(32, "big")))
    head = rfc6962.root(store, 1_000)
    ok, ms = _timed(lambda: rfc6962.verify_inclusion(999, 1_000, rfc6962.leaf_hash((999).to_bytes(32, "big")),
                                                     rfc6962.inclusion_proof(store, 999, 1_000), head) is None)
    record("ledger log: inclusion of entry 999 in a 1,000-entry RFC 6962 log", ok, ms)

    pk, witness = read_zkey(bench / "circuit.zkey"), read_wtns(bench / "witness.wtns")
    prove(pk, witness)
    ours, ms = _timed(lambda: prove(pk, witness))
    record("zkelig proves the eligibility workload (5,654 constraints)", verify(vk, ours, public_signals(pk, witness)), ms)
    ok, ms = _timed(lambda: verify(vk, proof, public))
    record("snarkjs's own proof of the same statement verifies", ok, ms)
    tampered = [public[0], (public[1] + 1) % (1 << 253)] + public[2:]
    ok, ms = _timed(lambda: verify(vk, proof, tampered))
    record("same proof with another Merkle root is refused", not ok, ms)
    ok, ms = _timed(lambda: batch_verify(vk, [(proof, public)] * 32))
    record("batch of 32 proofs verifies (one final exponentiation)", ok, ms)
    ok, ms = _timed(lambda: batch_verify(vk, [(proof, public)] * 31 + [(proof, tampered)]))
    record("batch of 32 with one bad proof is refused", not ok, ms)

    table = Table(title="zkelig demo")
    table.add_column("check")
    table.add_column("passed")
    table.add_column("time", justify="right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    return 1 if failures else 0
