"""Groth16 proving of the eligibility-5654 workload (snarkjs .zkey + .wtns): zkelig vs snarkjs and
groth16py in the same run, zkelig's peak memory (a fresh process: read key, prove), and DSL
circuits of ~2^14 and ~2^16 constraints (chains of Poseidon hashes), setup time reported apart.

In-process proving is measured twice: in this process (the IFMA lanes where the CPU has them) and in
a child compiled for a CPU without IFMA (NUMBA_CPU_NAME=znver3, its own numba cache), the path most
servers get. Whole processes: `zkelig groth16 prove` beside `snarkjs groth16 prove`, 10 runs each.
rapidsnark is an optional column: ZKELIG_RAPIDSNARK names a directory holding a local build's
`prover` (whole process) and, for in-process figures, `bench_prove ZKEY WTNS RUNS`, a harness that
times groth16_prover_prove after one groth16_prover_create and prints {"median_ms": …} (see issue 19);
its rounds alternate with ours, in this process and in the znver3 child alike.
The machine is shared: every figure is a median, with the spread of its runs in the note."""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time

from _common import ROOT, SHARED, median_time, node_bench, rapidsnark_file, rapidsnark_round, report

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


SCALAR_ENV = {"NUMBA_CPU_NAME": "znver3", "NUMBA_CACHE_DIR": "/tmp/numba-znver3"}
WHOLE_RUNS = 10
OUT = ROOT / "benchmarks" / "results"  # where the whole-process runs write their proofs


def samples(fn, repeat: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def spread(xs: list[float]) -> str:
    return f"median of {len(xs)}, {min(xs) * 1e3:,.1f}–{max(xs) * 1e3:,.1f} ms"


ROUNDS, PER_ROUND = 5, 3  # in-process figures: rounds of 3 proofs each, ours and the peer alternated


def in_process_prover() -> dict:
    """Seconds per proof in this process, prepared key and points only, which path ran, and (with a
    local build) rapidsnark's: in rounds that alternate them, so that the ratios compare the same
    minutes of a shared machine (its speed drifts by 20–30% from one minute to the next)."""
    from zkcore.kernels import ifma

    pk, witness = read_zkey(FOLDER / "circuit.zkey"), read_wtns(FOLDER / "witness.wtns")
    light_key = read_zkey(FOLDER / "circuit.zkey")
    prepare_proving_key(read_zkey(FOLDER / "circuit.zkey"))  # untimed: the first call may compile (a cold cache)
    t = time.perf_counter()
    tables = prepare_proving_key(pk)
    prepare_s = time.perf_counter() - t
    assert verify(pk.vk, prove(pk, witness), public_signals(pk, witness))
    harness = rapidsnark_file("bench_prove")
    light, prepared, peer = [], [], []
    for k in range(ROUNDS):
        light += samples(lambda: prove(light_key, witness), repeat=PER_ROUND, warmup=2 if k == 0 else 0)
        prepared += samples(lambda: prove(pk, witness), repeat=PER_ROUND, warmup=2 if k == 0 else 0)
        if harness:
            peer.append(rapidsnark_round(harness, FOLDER / "circuit.zkey", FOLDER / "witness.wtns", PER_ROUND))
    return dict(lanes=ifma.available(), prepared=prepared, light=light, prepare_s=prepare_s,
                tables_mb=tables.nbytes / 2**20, rapidsnark=peer)


def scalar_prover() -> dict:
    """in_process_prover() in a child compiled for a CPU without IFMA."""
    env = dict(os.environ, **SCALAR_ENV)
    cmd = [sys.executable, __file__, "--in-process-json"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, timeout=1800)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert not result["lanes"], "NUMBA_CPU_NAME=znver3 should have selected the scalar path"
    return result


def whole_process(cmd: list[str], env: dict | None = None) -> list[float]:
    """Wall seconds of `cmd` run to completion, WHOLE_RUNS times after one untimed run."""
    def run():
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)

    return samples(run, repeat=WHOLE_RUNS, warmup=1)


def rapidsnark_whole() -> list[float] | None:
    """Whole-process samples of a local rapidsnark build's `prover`, if any."""
    prover = rapidsnark_file("prover")
    if prover is None:
        return None
    OUT.mkdir(parents=True, exist_ok=True)
    zkey, wtns = str(FOLDER / "circuit.zkey"), str(FOLDER / "witness.wtns")
    out = [str(OUT / "rs-proof.json"), str(OUT / "rs-public.json")]
    return whole_process([str(prover), zkey, wtns, *out])


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
    per_hash = poseidon_chain(1).compile().n_constraints - 1  # less the final equality
    for log_n in (14, 16):
        k = ((1 << log_n) - 3) // per_hash  # the constraints, the equality and 2 public rows fill the domain
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
        label = f"prove DSL circuit, {compiled.n_constraints:,} constraints (2^{pk.log_domain} domain)"
        rows.append((label, ours, "", None, f"single-party setup {setup_s:.1f} s"))
    return rows


def main() -> None:
    here = in_process_prover()
    scalar = scalar_prover()
    snark = node_bench("snarkjs_prove.mjs", str(FOLDER), "7")["median_ms"] / 1e3

    import groth16py

    gpk, _ = groth16py.import_zkey(str(FOLDER / "circuit.zkey"))  # (proving key, verifying key)
    wtns = str(FOLDER / "witness.wtns")
    groth = statistics.median(samples(lambda: groth16py.prove_wtns(gpk, wtns), repeat=15, warmup=1))
    rs_whole = rapidsnark_whole()

    OUT.mkdir(parents=True, exist_ok=True)
    files = [str(FOLDER / "circuit.zkey"), wtns, str(OUT / "proof.json"), str(OUT / "public.json")]
    zkelig = [sys.executable, "-m", "service", "groth16", "prove", *files]
    ours_whole = whole_process(zkelig)
    scalar_whole = whole_process(zkelig, env=dict(os.environ, **SCALAR_ENV))
    snark_whole = whole_process(["node", str(ROOT / "node_modules" / "snarkjs" / "cli.js"), "groth16", "prove", *files])
    rss = peak_rss_mb()

    path = "IFMA lanes" if here["lanes"] else "scalar kernels (no IFMA here)"
    rows = []
    for label, run in ((path, here), ("scalar kernels (znver3 build)", scalar)):
        ours = statistics.median(run["prepared"])
        rows += [
            (f"prove, {label}", ours, "snarkjs in-process", snark, spread(run["prepared"])),
            (f"prove, {label}", ours, "groth16py 0.2 (arkworks)", groth, "prove_wtns"),
        ]
        if run["rapidsnark"]:
            peer = statistics.median(run["rapidsnark"])
            rows.append((f"prove, {label}", ours, "rapidsnark in-process", peer,
                         f"alternated with ours, {ROUNDS} rounds of {PER_ROUND}; its round medians "
                         f"{min(run['rapidsnark']) * 1e3:,.1f}–{max(run['rapidsnark']) * 1e3:,.1f} ms"))
        rows += [
            (f"prove without prepare_proving_key, {label}", statistics.median(run["light"]),
             "groth16py 0.2 (arkworks)", groth, spread(run["light"])),
            (f"prepare the key's MSM tables, {label}", run["prepare_s"], "", None,
             f"{run['tables_mb']:.0f} MB of tables"),
        ]
    for label, whole in (("IFMA lanes" if here["lanes"] else "native", ours_whole), ("znver3 build", scalar_whole)):
        op, ours = f"whole process `zkelig groth16 prove`, {label}", statistics.median(whole)
        rows.append((op, ours, "snarkjs groth16 prove", statistics.median(snark_whole),
                     f"{spread(whole)}; snarkjs {spread(snark_whole)}"))
        if rs_whole:
            rows.append((op, ours, "rapidsnark prover", statistics.median(rs_whole), spread(rs_whole)))
    rows += dsl_rows()
    report("Groth16 prove: eligibility-5654 (5,654 constraints)", rows)
    print(f"peak RSS of a fresh process that reads the key and proves three times: {rss:.0f} MB")


if __name__ == "__main__":
    if sys.argv[1:] == ["--in-process-json"]:
        print(json.dumps(in_process_prover()))
    else:
        main()
