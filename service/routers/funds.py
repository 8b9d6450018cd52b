"""/v1/funds/check: anyone checks an insurer's signed period total against the ledger's claim commitments
(Σ Cᵢ = A·G + R·H, service/funds.py), the same check as `zkelig funds check`, run by this server.

Public on purpose: the statement is the insurer's published total and the commitments are on the public
ledger, so the check reveals nothing an auditor could not recompute. The ledger's claims are read once per
signed head (the read replays every entry against the heads) and reused until the ledger grows."""

from __future__ import annotations

import threading
import weakref

from fastapi import APIRouter, Body

from zkcore.errors import InvalidEncoding, InvalidProof

from ..deps import State
from ..funds import LedgerClaims
from ..ledger.audit import DatabaseSource
from ..problems import Problem
from .common import problem_responses

router = APIRouter(prefix="/v1/funds", tags=["funds"], responses=problem_responses(400, 413, 422))
_CLAIMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # store → (checkpoint it was read at, claims)
_LOCK = threading.Lock()


def _claims(state) -> LedgerClaims:
    state.ledger.refresh()
    try:
        checkpoint = state.ledger.head().to_text()
    except LookupError:
        raise Problem(404, "not_found", "the ledger is empty") from None
    store = state.ledger.store
    with _LOCK:
        cached = _CLAIMS.get(store)
        if cached is None or cached[0] != checkpoint:
            claims = LedgerClaims.read(DatabaseSource(store), state.ledger.key.public_key)
            cached = _CLAIMS[store] = (checkpoint, claims)
        return cached[1]


@router.post("/check")
def check(statement: dict = Body(..., description="the insurer's signed period total: {body, signature}"),
          *, state: State) -> dict:
    """Whether the statement is signed by its payer's registered key and its total opens the sum of the payer's
    claim commitments for the period; `problem` says why not."""
    body = statement.get("body")
    if not isinstance(body, dict) or not isinstance(statement.get("signature"), str):
        raise Problem(400, "malformed_input", "a period total is a JSON object with a body and a signature")
    try:
        claims = _claims(state)
    except InvalidProof as err:
        return {"ok": False, "claims_on_ledger": None, "problem": f"the ledger does not match its signed heads: {err}"}
    try:
        result = claims.check(statement)
    except InvalidProof:
        return {"ok": False, "claims_on_ledger": None,
                "problem": f"the statement is not signed by {body.get('payer')}'s key registered on the ledger"}
    except InvalidEncoding as err:
        raise Problem(400, "malformed_input", str(err)) from None
    return {"ok": result.ok, "claims_on_ledger": result.claims_on_ledger, "problem": result.problem}
