"""The compact, append-only ledger: entries in an RFC 6962 log with signed heads."""

from .checkpoint import LedgerKey, Receipt, SignedHead
from .errors import (
    BadRevocation,
    BadStatement,
    ClaimRefused,
    DuplicateRegistration,
    LedgerError,
    NullifierReused,
    StaleStatement,
    UnknownIssuer,
)
from .ledger import IssuerInfo, Ledger
from .statements import IssuerKey, SignedIssuance
from .store import NoLedger, PostgresStore, SqliteStore, Store, StoreUnavailable, open_store, redacted

__all__ = [
    "BadRevocation",
    "BadStatement",
    "ClaimRefused",
    "IssuerInfo",
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
