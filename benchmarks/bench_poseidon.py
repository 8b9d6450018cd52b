"""Poseidon (t = 3) hashes/s vs circomlibjs and poseidon-hash; a 2^20-leaf tree; RFC 6962 proofs at 10^6.

poseidon-hash runs in its own virtualenv under benchmarks/.peer-venv (created on first run),
because its dependency galois pins numba < 0.60.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time

import numpy as np
from _common import ROOT, median_time, node_bench, report

from zkcore import field
from zkcore.kernels import ifma, poseidon_ifma
from zkcore.kernels import poseidon as kpos
from zkcore.merkle import PoseidonTree
from zkcore.merkle import rfc6962 as log
from zkcore.params import R
from zkcore.poseidon import _lane_kernel_constants, _sparse_kernel_params, poseidon
from zkcore.poseidon_params import poseidon_params

PEER_VENV = ROOT / "benchmarks" / ".peer-venv"


def poseidon_hash_peer(n: int) -> dict:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "poseidon-hash==0.1.4"], check=True)
    p = poseidon_params(3)
    payload = {
        "p": str(R),
        "n": n,
        "mds": [[str(x) for x in row] for row in p.mds],
        "rc": [str(c) for row in p.round_constants for c in row],
    }
    out = subprocess.run(
        [str(python), str(ROOT / "benchmarks" / "peers" / "poseidon_hash_peer.py")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def ours_rate(n: int, parallel: bool, lanes: bool) -> float:
    """Two-input hashes/s: the eight-lane IFMA kernel (lanes) or the portable scalar one."""
    rng = random.Random(2)
    rows = np.stack([field.ints_to_array([rng.randrange(R) for _ in range(n)]) for _ in range(2)], axis=1)
    if lanes:
        consts = _lane_kernel_constants()
        run = lambda: poseidon_ifma.hash_pairs3(rows, consts, parallel)  # noqa: E731
    else:
        params = _sparse_kernel_params(3)
        run = lambda: kpos.hash_pairs3(rows, *params, parallel)  # noqa: E731
    run()
    return n / median_time(run, repeat=5)


def main() -> None:
    lanes = ifma.available()
    kernel = "8 lanes, AVX-512 IFMA" if lanes else "scalar kernel (no IFMA here)"
    one = ours_rate(1 << 16, parallel=False, lanes=lanes)
    both = ours_rate(1 << 16, parallel=True, lanes=lanes)
    portable = ours_rate(1 << 14, parallel=False, lanes=False)
    circom = node_bench("circomlibjs_poseidon.mjs", "30000")
    assert circom["poseidon_1_2"] == str(poseidon([1, 2]))
    peer = poseidon_hash_peer(300)
    per_circom = 1 / circom["hashes_per_s"]
    rows = [
        (
            "Poseidon t=3, one core (per hash)",
            1 / one,
            "circomlibjs (wasm)",
            per_circom,
            f"{kernel}: {one:,.0f} vs {circom['hashes_per_s']:,.0f} hashes/s",
        ),
        (
            "Poseidon t=3, both cores (per hash)",
            1 / both,
            "circomlibjs (wasm)",
            per_circom,
            f"{kernel}: {both:,.0f} hashes/s",
        ),
        (
            "Poseidon t=3, one core, portable scalar kernel",
            1 / portable,
            "circomlibjs (wasm)",
            per_circom,
            f"{portable:,.0f} hashes/s (CPUs without IFMA)",
        ),
        (
            "Poseidon t=3, one core (per hash)",
            1 / one,
            "poseidon-hash 0.1.4",
            1 / peer["hashes_per_s"],
            "same output"
            if peer["poseidon_1_2"] == str(poseidon([1, 2]))
            else "same rounds and widths; its padding differs from circomlib",
        ),
    ]
    rng = random.Random(3)
    leaves = [rng.randrange(R) for _ in range(1 << 20)]
    t = time.perf_counter()
    tree = PoseidonTree.from_leaves(20, leaves)
    build = time.perf_counter() - t
    rows.append(("depth-20 tree of 2^20 leaves, build", build, "", None, "both cores, incl. int conversion"))
    rows.append(("depth-20 tree, membership path", median_time(lambda: tree.path(777_777), repeat=50), "", None, ""))

    store = log.MemoryNodeStore()
    for i in range(1_000_000):
        store.append(log.leaf_hash(i.to_bytes(8, "big")))
    size = 1_000_000
    rows.append(
        (
            "RFC 6962 inclusion proof, 10^6 leaves",
            median_time(lambda: log.inclusion_proof(store, rng.randrange(size), size), repeat=200),
            "",
            None,
            "",
        )
    )
    rows.append(
        (
            "RFC 6962 consistency proof, 10^6 leaves",
            median_time(lambda: log.consistency_proof(store, rng.randrange(1, size), size), repeat=200),
            "",
            None,
            "",
        )
    )
    report("Poseidon and Merkle trees", rows)


if __name__ == "__main__":
    main()
