"""/v1/admin: API keys for issuers, verifiers and auditors."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ..auth import require
from ..problems import Problem
from ..schemas import ApiKeyCreated, ApiKeyRequest
from .common import get_state, problem_responses

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=problem_responses(401, 403, 413, 422))


@router.post("/keys", response_model=ApiKeyCreated, status_code=201, dependencies=[Depends(require("admin"))])
def create_key(body: ApiKeyRequest, state=Depends(get_state)) -> ApiKeyCreated:
    """A new API key; issuer and verifier keys act only for their subject."""
    if body.role in ("issuer", "verifier") and not body.subject:
        raise Problem(422, "invalid_request", f"a {body.role} key needs a subject")
    if body.role == "issuer" and body.subject not in state.ledger.issuers:
        raise Problem(404, "unknown_issuer", f"issuer {body.subject} is not registered")
    return ApiKeyCreated(role=body.role, subject=body.subject, api_key=state.records.create_key(body.role, body.subject))
