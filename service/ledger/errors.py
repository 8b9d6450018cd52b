"""Refused ledger writes; each `code` is stable and safe to return to a client."""

from __future__ import annotations


class LedgerError(Exception):
    """A refused write; `code` is stable and safe to return to a client."""

    code = "ledger_error"


class UnknownIssuer(LedgerError):
    code = "unknown_issuer"


class DuplicateRegistration(LedgerError):
    code = "already_registered"


class BadRevocation(LedgerError):
    code = "bad_revocation"


class ClaimRefused(LedgerError):
    code = "claim_refused"


class BadStatement(LedgerError):
    """The issuer's signature does not cover what was submitted (service.ledger.statements)."""

    code = "bad_statement"


class StaleStatement(LedgerError):
    """The statement was signed against a state of the issuer's tree or key that is no longer current:
    fetch the frontier again, sign again."""

    code = "stale_statement"


class NullifierReused(LedgerError):
    code = "nullifier_reused"

    def __init__(self, scope: int):
        super().__init__(f"this nullifier was already used in scope {scope:#066x}")
        self.scope = scope
