"""Groth16 over BN254, snarkjs-compatible."""

from .keys import Proof, VerifyingKey, public_inputs_from_snarkjs, public_inputs_to_snarkjs
from .verifier import PreparedVerifyingKey, batch_verify, prepare_verifying_key, verify

__all__ = [
    "PreparedVerifyingKey",
    "Proof",
    "VerifyingKey",
    "batch_verify",
    "prepare_verifying_key",
    "public_inputs_from_snarkjs",
    "public_inputs_to_snarkjs",
    "verify",
]
