"""The credential query circuit (Q = 4, M = 8) at tree depths 20 and 32: constraints, prove, verify.

"prove" is the Groth16 prover on a ready witness (both cores); "holder" is what a phone waits for
through prove_request: the circuit's witness program, its check, and the proof. With a local
rapidsnark build (ZKELIG_RAPIDSNARK, see bench_prove) "prove" has it as a peer on the same key and
witness, in rounds alternated with ours.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
from pathlib import Path

from _common import median_time, rapidsnark_file, rapidsnark_round, report

from circuits import credentials as cr
from circuits.credential_query import credential_query_circuit
from circuits.requests import circuit_inputs, prove_request, reimbursable, verify_presentation
from service.keys import ensure_keys
from zkcore.groth16 import prove, write_wtns
from zkcore.merkle.poseidon_tree import PoseidonTree

TODAY = dt.date(2026, 11, 22)
ROUNDS, PER_ROUND = 3, 3


def prove_row(keys, witness, label: str) -> tuple:
    """Ours alone, or alternated with rapidsnark's rounds on the same key and witness."""
    harness = rapidsnark_file("bench_prove")

    def ours_once():
        prove(keys.pk, witness)

    if harness is None:
        return f"prove, {label}", median_time(ours_once, repeat=9), "", None, "witness ready"
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as scratch:
        wtns = Path(scratch) / "witness.wtns"
        write_wtns(wtns, witness)
        for k in range(ROUNDS):
            ours.append(median_time(ours_once, repeat=PER_ROUND, warmup=2 if k == 0 else 0))
            theirs.append(rapidsnark_round(harness, keys.directory / "circuit.zkey", wtns, PER_ROUND))
    return (f"prove, {label}", statistics.median(ours), "rapidsnark (in-process)", statistics.median(theirs),
            f"witness ready; {ROUNDS} alternated rounds of {PER_ROUND}")


def rows_for(depth: int) -> list:
    keys = ensure_keys(depth=depth)
    circuit = credential_query_circuit(depth)
    secret = cr.new_secret()
    values = {"plan": 9, "insured_from": dt.date(2026, 1, 1), "insured_until": dt.date(2026, 12, 31),
              "annual_cap_cents": 500_000, "region": 3}
    credential = cr.issue(cr.INSURANCE, "insurer-a", cr.id_commitment(secret), values, dt.date(2030, 1, 1))
    tree = PoseidonTree(depth)
    tree.extend(list(range(1, 1001)))
    path = tree.path(tree.append(credential.leaf))
    request = reimbursable([2, 9], 120_000, dt.date(2026, 6, 1), TODAY, ["insurer-a"], "claims/2026")
    witness = circuit.witness(**circuit_inputs(credential, secret, path, request))
    presentation = prove_request(credential, secret, path, request, keys.pk)
    roots = {"insurer-a": {tree.root}}
    assert verify_presentation(keys.vk, request, presentation, roots)
    label = f"depth {depth}, {circuit.n_constraints:,} constraints"
    return [
        prove_row(keys, witness, label),
        (f"holder: witness + check + prove, {label}",
         median_time(lambda: prove_request(credential, secret, path, request, keys.pk), repeat=7), "", None, ""),
        (f"verify presentation, {label}",
         median_time(lambda: verify_presentation(keys.vk, request, presentation, roots), repeat=50), "", None,
         "public inputs from the request + Groth16 verify"),
    ]


def main() -> None:
    report("Credential query circuit: Q = 4, M = 8", [*rows_for(20), *rows_for(32)])


if __name__ == "__main__":
    main()
