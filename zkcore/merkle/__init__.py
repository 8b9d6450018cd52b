"""Merkle trees: Poseidon commitment trees (in circuits) and RFC 6962 logs (the ledger)."""

from .poseidon_tree import Frontier, MerklePath, PoseidonTree, verify_path, zero_hashes

__all__ = ["Frontier", "MerklePath", "PoseidonTree", "verify_path", "zero_hashes"]
