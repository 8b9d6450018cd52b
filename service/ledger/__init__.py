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
from .store import NoLedger, PostgresStore, SqliteStore, Store, StoreUnavailable, open_store, redacted

__all__ = [
    "BadRevocation",
    "DuplicateRegistration",
    "Ledger",
    "LedgerError",
    "LedgerKey",
    "NoLedger",
    "NullifierReused",
    "PostgresStore",
    "Receipt",
    "SignedHead",
    "SqliteStore",
    "Store",
    "StoreUnavailable",
    "UnknownIssuer",
    "open_store",
    "redacted",
]
