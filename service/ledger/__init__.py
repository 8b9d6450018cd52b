"""The compact, append-only ledger: entries in an RFC 6962 log with signed heads."""

from .checkpoint import LedgerKey, Receipt, SignedHead
from .ledger import (
    BadRevocation,
    BadStatement,
    ClaimRefused,
    DuplicateRegistration,
    Ledger,
    LedgerError,
    NullifierReused,
    StaleStatement,
    UnknownIssuer,
)
from .statements import IssuerKey, SignedIssuance
from .store import PostgresStore, SqliteStore, Store, open_store

__all__ = [
    "BadRevocation",
    "BadStatement",
    "ClaimRefused",
    "IssuerKey",
    "DuplicateRegistration",
    "Ledger",
    "LedgerError",
    "LedgerKey",
    "NullifierReused",
    "PostgresStore",
    "Receipt",
    "SignedHead",
    "SignedIssuance",
    "StaleStatement",
    "SqliteStore",
    "Store",
    "UnknownIssuer",
    "open_store",
]
