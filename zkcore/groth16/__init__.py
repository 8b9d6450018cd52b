"""Groth16 over BN254, snarkjs-compatible."""

from .keys import Proof, VerifyingKey, public_inputs_from_snarkjs, public_inputs_to_snarkjs
from .prover import PreparedKey, create_proof, prepare_proving_key, prove, public_signals
from .setup import (
    SINGLE_PARTY_WARNING,
    ContributionReceipt,
    contribute,
    key_digest,
    setup_r1cs,
    verify_contribution,
    verify_contributions,
)
from .snarkjs import ProvingKey, r1cs_bytes, read_r1cs, read_wtns, read_zkey, write_r1cs, write_wtns, write_zkey
from .verifier import PreparedVerifyingKey, batch_verify, prepare_verifying_key, verify

__all__ = [
    "SINGLE_PARTY_WARNING",
    "ContributionReceipt",
    "PreparedKey",
    "PreparedVerifyingKey",
    "Proof",
    "ProvingKey",
    "VerifyingKey",
    "batch_verify",
    "contribute",
    "create_proof",
    "key_digest",
    "prepare_proving_key",
    "prepare_verifying_key",
    "prove",
    "public_inputs_from_snarkjs",
    "public_inputs_to_snarkjs",
    "public_signals",
    "r1cs_bytes",
    "read_r1cs",
    "read_wtns",
    "read_zkey",
    "setup_r1cs",
    "verify",
    "verify_contribution",
    "verify_contributions",
    "write_r1cs",
    "write_wtns",
    "write_zkey",
]
