"""Groth16 proving of the eligibility-5654 workload (snarkjs .zkey + .wtns): zkelig vs snarkjs and
groth16py in the same run, zkelig's peak memory (a fresh process: read key, prove), and DSL
circuits of ~2^14 and ~2^16 constraints (chains of Poseidon hashes), setup time reported apart."""

from __future__ import annotations

import subprocess
import sys

from _common import ROOT, SHARED, median_time, node_bench, report

import random
import time

from circuits.dsl import Circuit, Public, Secret
from circuits.gadgets import poseidon
from zkcore.groth16 import prepare_proving_key, prove, public_signals, read_wtns, read_zkey, setup_r1cs, verify
from zkcore.poseidon import poseidon as native_poseidon

FOLDER = SHARED / "bench" / "eligibility-5654"

_PEAK = """
import resource, sys
sys.path.insert(0, {root!r})
from zkcore.groth16 import prove, read_wtns, read_zkey
pk = read_zkey({zkey!r}); w = read_wtns({wtns!r})
for _ in range(3): prove(pk, w)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_mb() -> float:
    code = _PEAK.format(root=str(ROOT), zkey=str(FOLDER / "circuit.zkey"), wtns=str(FOLDER / "witness.wtns"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=900)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def poseidon_chain(k: int):
    class PoseidonChain(Circuit):
        out: Public
        seed: Secret

        def define(self, api):
            acc = self.seed
            for i in range(k):
                acc = poseidon(api, [acc, i])
            api.assert_equal(acc, self.out)

    return PoseidonChain


def dsl_rows() -> list:
    rows = []
    for log_n, k in ((14, 68), (16, 272)):
        compiled = poseidon_chain(k).compile()
        t = time.perf_counter()
        pk = setup_r1cs(compiled.cs, random.Random(log_n))
        setup_s = time.perf_counter() - t
        acc = 7
        for i in range(k):
            acc = native_poseidon([acc, i])
        witness = compiled.witness(out=acc, seed=7)
        assert verify(pk.vk, prove(pk, witness), [acc])
        ours = median_time(lambda: prove(pk, witness), repeat=5, warmup=1)
        rows.append((f"prove DSL circuit, {compiled.n_constraints:,} constraints (2^{log_n} domain)", ours, "", None,
                     f"single-party setup {setup_s:.1f} s"))
    return rows


def main() -> None:
    pk, witness = read_zkey(FOLDER / "circuit.zkey"), read_wtns(FOLDER / "witness.wtns")
    spare = read_zkey(FOLDER / "circuit.zkey")
    prove(spare, witness)  # compile the kernels; this key gets only its points prepared
    light = median_time(lambda: prove(spare, witness), repeat=9)
    prepare_proving_key(spare)
    t = time.perf_counter()
    tables = prepare_proving_key(pk)
    prepare_s = time.perf_counter() - t
    assert verify(pk.vk, prove(pk, witness), public_signals(pk, witness))
    ours = median_time(lambda: prove(pk, witness), repeat=15)
    snark = node_bench("snarkjs_prove.mjs", str(FOLDER), "7")["median_ms"] / 1e3

    import groth16py

    gpk, _ = groth16py.import_zkey(str(FOLDER / "circuit.zkey"))  # (proving key, verifying key)
    wtns = str(FOLDER / "witness.wtns")
    groth16py.prove_wtns(gpk, wtns)
    groth = median_time(lambda: groth16py.prove_wtns(gpk, wtns), repeat=15)
    rss = peak_rss_mb()
    report(
        "Groth16 prove: eligibility-5654 (5,654 constraints)",
        [
            ("prove (zkey + wtns loaded, both cores)", ours, "snarkjs in-process", snark, ""),
            ("prove (zkey + wtns loaded, both cores)", ours, "groth16py 0.2 (arkworks)", groth, "prove_wtns"),
            ("prepare the key's MSM tables (once per key and process)", prepare_s, "", None, f"{tables.nbytes / 2**20:.0f} MB of tables"),
            ("prove without prepare_proving_key (windows one by one)", light, "groth16py 0.2 (arkworks)", groth, "what a one-off prover gets"),
            (f"peak RSS of a prover process: {rss:.0f} MB", 0.0, "", None, ""),
            *dsl_rows(),
        ],
    )


if __name__ == "__main__":
    main()
