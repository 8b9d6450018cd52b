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
from .store import NoLedger, PostgresStore, SqliteStore, Store, StoreUnavailable, open_store, redacted

__all__ = [
    "BadRevocation",
    "BadStatement",
    "ClaimRefused",
    "IssuerKey",
    "DuplicateRegistration",
    "Ledger",
    "LedgerError",
    "LedgerKey",
    "NoLedger",
    "NullifierReused",
    "PostgresStore",
    "Receipt",
    "SignedHead",
    "SignedIssuance",
    "StaleStatement",
    "SqliteStore",
    "Store",
    "StoreUnavailable",
    "UnknownIssuer",
    "open_store",
    "redacted",
]
