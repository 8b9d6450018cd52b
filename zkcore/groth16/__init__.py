"""Groth16 over BN254, snarkjs-compatible.

The names below are loaded on first use (PEP 562), so a command that only proves does not import
the setup and the pairing-based verifier, nor their kernels.
"""

from importlib import import_module

_HOME = {
    "Proof": "keys",
    "VerifyingKey": "keys",
    "public_inputs_from_snarkjs": "keys",
    "public_inputs_to_snarkjs": "keys",
    "PreparedKey": "prover",
    "create_proof": "prover",
    "prepare_proving_key": "prover",
    "prove": "prover",
    "public_signals": "prover",
    "SINGLE_PARTY_WARNING": "setup",
    "ContributionReceipt": "setup",
    "contribute": "setup",
    "key_digest": "setup",
    "setup_r1cs": "setup",
    "verify_contribution": "setup",
    "verify_contributions": "setup",
    "ProvingKey": "snarkjs",
    "read_r1cs": "snarkjs",
    "read_wtns": "snarkjs",
    "read_zkey": "snarkjs",
    "r1cs_bytes": "snarkjs",
    "write_r1cs": "snarkjs",
    "write_wtns": "snarkjs",
    "write_zkey": "snarkjs",
    "PreparedVerifyingKey": "verifier",
    "batch_verify": "verifier",
    "prepare_verifying_key": "verifier",
    "verify": "verifier",
}

__all__ = sorted(_HOME)


def __getattr__(name: str):
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_HOME))
