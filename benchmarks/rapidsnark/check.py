"""Check that a local rapidsnark build proves the shared workload correctly: its `prover` and our
`bench_prove` harness each write a proof, and our verifier must accept both against the workload's
verification key, and refuse each with one public signal changed.

Run: `ZKELIG_RAPIDSNARK=/work/rapidsnark .venv/bin/python benchmarks/rapidsnark/check.py`.
Exit codes: 0 both proofs verify, 1 a proof does not verify, 2 the build or the workload is missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from service.settings import shared_dir  # noqa: E402
from zkcore.groth16 import Proof, VerifyingKey, public_inputs_from_snarkjs, verify  # noqa: E402

FOLDER = shared_dir() / "bench" / "eligibility-5654"


def main() -> int:
    home = Path(os.environ.get("ZKELIG_RAPIDSNARK", "/work/rapidsnark"))
    tools = [home / "prover", home / "bench_prove"]
    for needed in [*tools, FOLDER / "circuit.zkey"]:
        if not needed.exists():
            print(f"check.py: {needed} missing (benchmarks/rapidsnark/README.md says how to build it)", file=sys.stderr)
            return 2
    zkey, wtns = str(FOLDER / "circuit.zkey"), str(FOLDER / "witness.wtns")
    vk = VerifyingKey.from_snarkjs(json.loads((FOLDER / "verification_key.json").read_text()))
    expected = json.loads((FOLDER / "public.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        proof, public = Path(tmp) / "proof.json", Path(tmp) / "public.json"
        subprocess.run([str(tools[0]), zkey, wtns, str(proof), str(public)], check=True, capture_output=True)
        inner = Path(tmp) / "inner-proof.json"
        subprocess.run([str(tools[1]), zkey, wtns, "1", str(inner)], check=True, capture_output=True)
        signals = json.loads(public.read_text())
        outputs = {"prover": proof, "bench_prove": inner}
        results = {name: Proof.from_snarkjs(json.loads(path.read_text())) for name, path in outputs.items()}
    ok = signals == expected
    print(f"prover's public signals equal the workload's public.json: {ok}")
    values = public_inputs_from_snarkjs(signals)
    forged = [values[0] ^ 1, *values[1:]]
    for name, p in results.items():
        accepted, refused = verify(vk, p, values), not verify(vk, p, forged)
        print(f"{name}: proof verifies {accepted}, refused with a changed nullifier {refused}")
        ok = ok and accepted and refused
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
