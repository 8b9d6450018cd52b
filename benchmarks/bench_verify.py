"""Groth16 verification of the eligibility-5654 proof: zkelig vs snarkjs, groth16py and py_ecc.

Run: `make bench` or `.venv/bin/python benchmarks/bench_verify.py`. All peers run in this run
on this machine; ratios are ours ÷ theirs.
"""

from __future__ import annotations

import json

from _common import SHARED, median_time, node_bench, report

from zkcore.groth16 import Proof, VerifyingKey, batch_verify, public_inputs_from_snarkjs, verify

FOLDER = SHARED / "bench" / "eligibility-5654"


def ours_from_json(vk_json: str, proof_json: str, public_json: str, vk: VerifyingKey | None = None) -> bool:
    """Parse, validate every point, verify. With `vk` given, the key is parsed once ahead, as a
    service (and groth16py's Verifier) does; without, the key is parsed every time, as snarkjs does."""
    vk = vk or VerifyingKey.from_snarkjs(json.loads(vk_json))
    return verify(vk, Proof.from_snarkjs(json.loads(proof_json)), public_inputs_from_snarkjs(json.loads(public_json)))


def py_ecc_verify(vk: VerifyingKey, proof: Proof, public: list[int]) -> bool:
    """The textbook check with py_ecc: four Miller loops and one final exponentiation."""
    from py_ecc import optimized_bn128 as ob

    def miller_loop(q, p):
        return ob.pairing(q, p, final_exponentiate=False)

    def g1(p):
        return (ob.FQ(p.x), ob.FQ(p.y), ob.FQ.one())

    def g2(p):
        return (ob.FQ2(list(p.x)), ob.FQ2(list(p.y)), ob.FQ2.one())

    acc = g1(vk.ic_g1[0])
    for x, ic in zip(public, vk.ic_g1[1:]):
        acc = ob.add(acc, ob.multiply(g1(ic), x))
    f = (
        miller_loop(g2(proof.b), ob.neg(g1(proof.a)))
        * miller_loop(g2(vk.beta_g2), g1(vk.alpha_g1))
        * miller_loop(g2(vk.gamma_g2), acc)
        * miller_loop(g2(vk.delta_g2), g1(proof.c))
    )
    return ob.final_exponentiate(f) == ob.FQ12.one()


def main() -> None:
    texts = {f: (FOLDER / f).read_text() for f in ("verification_key.json", "proof.json", "public.json")}
    vk = VerifyingKey.from_snarkjs(json.loads(texts["verification_key.json"]))
    proof = Proof.from_snarkjs(json.loads(texts["proof.json"]))
    public = public_inputs_from_snarkjs(json.loads(texts["public.json"]))
    assert verify(vk, proof, public) and ours_from_json(*texts.values())

    single_full = median_time(lambda: ours_from_json(*texts.values()), repeat=200)
    single = median_time(lambda: ours_from_json(*texts.values(), vk=vk), repeat=200)
    single_objects = median_time(lambda: verify(vk, proof, public), repeat=200)
    batches = {}
    for n in (8, 64, 256):
        items = [(proof, public)] * n
        assert batch_verify(vk, items)
        batches[n] = median_time(lambda: batch_verify(vk, items), repeat=5 if n > 64 else 11) / n

    snark = node_bench("snarkjs_verify.mjs", str(FOLDER), "40")
    assert snark["ok"]
    snark_s = snark["median_ms"] / 1e3

    import groth16py

    g_vk = groth16py.Verifier(groth16py.VerifyingKey.from_snarkjs(texts["verification_key.json"]))
    assert g_vk.verify_snarkjs(texts["proof.json"], texts["public.json"])
    groth = median_time(lambda: g_vk.verify_snarkjs(texts["proof.json"], texts["public.json"]), repeat=200)

    assert py_ecc_verify(vk, proof, public)
    pyecc = median_time(lambda: py_ecc_verify(vk, proof, public), repeat=3, warmup=0)

    rows = [
        ("verify from JSON, key parsed every time", single_full, "snarkjs in-process", snark_s, "both parse vk"),
        ("verify from JSON, key parsed once", single, "snarkjs in-process", snark_s, ""),
        ("verify from JSON, key parsed once", single, "groth16py 0.2 (arkworks)", groth, "verify_snarkjs"),
        ("verify from JSON, key parsed once", single, "py_ecc", pyecc, "4 Miller loops + 1 FE"),
        ("verify, parsed objects", single_objects, "groth16py 0.2 (arkworks)", groth, ""),
    ]
    for n, per in batches.items():
        rows.append((f"batch verify, per proof, N={n}", per, "groth16py single verify", groth, ""))
    report("Groth16 verify: eligibility-5654 (5 public signals)", rows)


if __name__ == "__main__":
    main()
