"""The compact, append-only ledger: entries in an RFC 6962 log with signed heads."""

from .checkpoint import LedgerKey, Receipt, SignedHead
from .ledger import (
    BadRevocation,
    DuplicateRegistration,
    Ledger,
    LedgerError,
    NullifierReused,
    UnknownIssuer,
)
from .store import PostgresStore, SqliteStore, Store, open_store

__all__ = [
    "BadRevocation",
    "DuplicateRegistration",
    "Ledger",
    "LedgerError",
    "LedgerKey",
    "NullifierReused",
    "PostgresStore",
    "Receipt",
    "SignedHead",
    "SqliteStore",
    "Store",
    "UnknownIssuer",
    "open_store",
]
