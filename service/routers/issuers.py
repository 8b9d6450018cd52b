"""/v1/issuers: registration (admin), issuance and revocation (the issuer's own key)."""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, Depends

from ..auth import acting_for, require
from ..deps import FreshState, State
from ..ledger import SignedIssuance
from ..problems import Problem
from ..records import Principal
from ..schemas import (
    Id,
    IssuerCreated,
    IssueResponse,
    IssuerRegistration,
    KeyRotation,
    LogIndex,
    PlacedLeaf,
    RevocationRequest,
    SignedLeaves,
)
from .common import problem_responses


def _b64(text: str, length: int, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != length:
        raise Problem(400, "malformed_input", f"{what} must be {length} bytes in base64")
    return raw


router = APIRouter(
    prefix="/v1/issuers", tags=["issuers"], responses=problem_responses(400, 401, 403, 404, 409, 413, 422)
)


@router.post("", response_model=IssuerCreated, status_code=201)
def register_issuer(body: IssuerRegistration, _: Principal = Depends(require("admin")), *, state: State):
    """Register an issuer on the ledger (its Ed25519 public key) and create its API key."""
    index = state.ledger.register_issuer(body.name, _b64(body.public_key, 32, "public_key"))
    return IssuerCreated(name=body.name, log_index=index, api_key=state.records.create_key("issuer", body.name))


@router.get("")
def list_issuers(state: FreshState) -> dict:
    """Registered issuers and their public keys."""
    return {
        "issuers": [
            {"name": s.name, "public_key": base64.b64encode(s.public_key).decode(), "rotation": s.rotation}
            for s in state.ledger.registered_issuers().values()
        ]
    }


@router.post("/{issuer}/credentials", response_model=IssueResponse, status_code=201)
def issue(issuer: Id, body: SignedLeaves, principal: Principal = Depends(require("issuer")), *, state: FreshState):
    """Append credential leaves that the issuer signed (with the root they lead to).

    The issuer computes each leaf on its side (`circuits.credentials.issue`): the service sees
    leaves and a signature, never a holder's attributes."""
    acting_for(principal, issuer)
    signed = SignedIssuance(
        body.first_leaf, tuple(int(x) for x in body.leaves), int(body.root), _b64(body.signature, 64, "signature")
    )
    placed = state.ledger.issue(issuer, signed)
    return IssueResponse(
        issuer=issuer,
        root=str(state.ledger.issuer_root(issuer)),
        placed=[PlacedLeaf(leaf_index=leaf, log_index=index) for leaf, index in placed],
    )


@router.post("/{issuer}/revocations", response_model=LogIndex, status_code=201)
def revoke(
    issuer: Id, body: RevocationRequest, principal: Principal = Depends(require("issuer")), *, state: FreshState
):
    """Revoke a credential the issuer signed off: its leaf becomes 0 and every earlier root of this
    issuer stops being accepted."""
    acting_for(principal, issuer)
    signature = _b64(body.signature, 64, "signature")
    return LogIndex(log_index=state.ledger.revoke(issuer, body.leaf_index, int(body.root), signature))


@router.post("/{issuer}/keys", response_model=LogIndex, status_code=201)
def rotate_key(issuer: Id, body: KeyRotation, principal: Principal = Depends(require("issuer")), *, state: FreshState):
    """Replace the issuer's signing key; the current key signs the new one."""
    acting_for(principal, issuer)
    public_key, signature = _b64(body.public_key, 32, "public_key"), _b64(body.signature, 64, "signature")
    return LogIndex(log_index=state.ledger.rotate_issuer_key(issuer, body.rotation, public_key, signature))
