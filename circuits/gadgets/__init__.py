"""Reusable circuit pieces: Poseidon hashing and Merkle membership (bits and comparisons are API methods)."""

from .merkle import merkle_root
from .poseidon import poseidon

__all__ = ["merkle_root", "poseidon"]
