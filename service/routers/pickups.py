"""One-time credential pickups (service.pickups): the issuer posts a sealed credential, the holder's
wallet collects it once with the id from its link. The key stays in the link's fragment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field

from ..auth import acting_for, require
from ..deps import State
from ..pickups import MAX_CIPHERTEXT_CHARS, Pickups
from ..problems import Problem
from ..records import Principal
from ..schemas import Id, Strict
from .common import problem_responses
from .holders import rate_limited

PickupId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{16,64}$")]


class PickupCreate(Strict):
    ciphertext: Annotated[str, Field(min_length=40, max_length=MAX_CIPHERTEXT_CHARS, pattern=r"^[A-Za-z0-9+/]+=*$")]


router = APIRouter(tags=["pickups"], responses=problem_responses(401, 403, 404, 413, 422, 429))


def _pickups(state: State) -> Pickups:
    pickups = getattr(state, "pickups", None)
    if pickups is None:  # created on first use: the table lives beside the records
        pickups = state.pickups = Pickups(state.records.store)
    return pickups


@router.post("/v1/issuers/{issuer}/pickups", status_code=201)
def create_pickup(issuer: Id, body: PickupCreate, principal: Principal = Depends(require("issuer")),
                  pickups: Pickups = Depends(_pickups)) -> dict:
    """Keep a sealed credential for its holder to collect once; the service cannot open it."""
    acting_for(principal, issuer)
    pickup_id, expires_ms = pickups.put(issuer, body.ciphertext)
    return {"pickup_id": pickup_id, "expires_at_ms": expires_ms}


@router.post("/v1/pickups/{pickup_id}/collect", dependencies=[Depends(rate_limited)])
def collect_pickup(pickup_id: PickupId, pickups: Pickups = Depends(_pickups)) -> dict:
    """The sealed credential, once: a second collection, or one after a week, finds nothing."""
    found = pickups.take(pickup_id)
    if found is None:
        raise Problem(404, "pickup_gone",
                      "this pickup link was already used or has lapsed; ask the issuer for a new one")
    return {"issuer": found[0], "ciphertext": found[1]}
