"""/v1/issuers: registration (admin), issuance and revocation (the issuer's own key)."""

from __future__ import annotations

import base64
import binascii
import dataclasses

from fastapi import APIRouter, Depends

from circuits import credentials as cr

from ..auth import acting_for, require
from ..problems import Problem
from ..records import Principal
from ..schemas import Id, IssueRequest, IssueResponse, IssuedCredential, IssuerCreated, IssuerRegistration, LogIndex, RevocationRequest
from .common import fresh_state, get_state, problem_responses

router = APIRouter(prefix="/v1/issuers", tags=["issuers"], responses=problem_responses(400, 401, 403, 404, 409, 413, 422))


@router.post("", response_model=IssuerCreated, status_code=201)
def register_issuer(body: IssuerRegistration, _: Principal = Depends(require("admin")), state=Depends(get_state)):
    """Register an issuer on the ledger (its Ed25519 public key) and create its API key."""
    try:
        public_key = base64.b64decode(body.public_key, validate=True)
    except (binascii.Error, ValueError):
        public_key = b""
    if len(public_key) != 32:
        raise Problem(400, "malformed_input", "public_key must be 32 bytes in base64")
    index = state.ledger.register_issuer(body.name, public_key)
    return IssuerCreated(name=body.name, log_index=index, api_key=state.records.create_key("issuer", body.name))


@router.get("")
def list_issuers(state=Depends(fresh_state)) -> dict:
    """Registered issuers and their public keys."""
    return {"issuers": [{"name": s.name, "public_key": base64.b64encode(s.public_key).decode()}
                        for s in state.ledger.issuers.values()]}


@router.post("/{issuer}/credentials", response_model=IssueResponse, status_code=201)
def issue(issuer: Id, body: IssueRequest, principal: Principal = Depends(require("issuer")), state=Depends(get_state)):
    """Issue credentials: each holder's id_commitment and attributes become one leaf on the ledger.

    The response is what each holder keeps (attributes, nonce, leaf index); only the leaves are stored."""
    acting_for(principal, issuer)
    orders = []
    for order in body.credentials:
        schema = cr.schema(order.schema_name)
        orders.append(cr.issue(schema, issuer, int(order.id_commitment), order.attributes, order.expiry))
    placed = state.ledger.issue(issuer, [c.leaf for c in orders])
    issued = [IssuedCredential(credential=dataclasses.replace(c, leaf_index=leaf).to_json(), leaf_index=leaf, log_index=index)
              for c, (leaf, index) in zip(orders, placed)]
    return IssueResponse(issuer=issuer, root=str(state.ledger.issuer_root(issuer)), credentials=issued)


@router.post("/{issuer}/revocations", response_model=LogIndex, status_code=201)
def revoke(issuer: Id, body: RevocationRequest, principal: Principal = Depends(require("issuer")), state=Depends(get_state)):
    """Revoke a credential: its leaf becomes 0 and every earlier root of this issuer stops being accepted."""
    acting_for(principal, issuer)
    return LogIndex(log_index=state.ledger.revoke(issuer, body.leaf_index))
