"""Groth16 over BN254, snarkjs-compatible."""

from .keys import Proof, VerifyingKey, public_inputs_from_snarkjs, public_inputs_to_snarkjs
from .prover import create_proof, prove, public_signals
from .snarkjs import ProvingKey, read_wtns, read_zkey
from .verifier import PreparedVerifyingKey, batch_verify, prepare_verifying_key, verify

__all__ = [
    "PreparedVerifyingKey",
    "Proof",
    "ProvingKey",
    "VerifyingKey",
    "batch_verify",
    "create_proof",
    "prepare_verifying_key",
    "prove",
    "public_inputs_from_snarkjs",
    "public_inputs_to_snarkjs",
    "public_signals",
    "read_wtns",
    "read_zkey",
    "verify",
]
