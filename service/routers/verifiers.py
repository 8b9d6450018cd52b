"""/v1/verifiers: proof requests with fresh challenges, and presentation submission → signed receipts.
(The holder's side of a request, /v1/requests/{id}, is in routers/requests.py.)"""

from __future__ import annotations

import dataclasses
import datetime as dt

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from circuits import credentials as cr
from circuits.credential_query import Op, Query
from circuits.requests import PRESETS, ProofRequest

from ..auth import acting_for, require
from ..deps import FreshState, State
from ..handoff import about, answer, base_url, request_view
from ..problems import Problem
from ..records import Principal
from ..schemas import Id, ProofRequestCreate, ProofRequestCreated, Receipt, SubmitPresentation
from .common import problem_responses
from .scopes import scope_owned

router = APIRouter(tags=["verifiers"], responses=problem_responses(400, 401, 403, 404, 413, 422))


def _invalid(rule: str) -> Problem:
    return Problem(422, "invalid_request", rule)


def _check(body: ProofRequestCreate, state) -> None:
    """Refuse what would make a request that no credential can answer, or not the one meant;
    each refusal names the rule."""
    unknown = [i for i in body.issuers if not state.ledger.has_issuer(i)]
    if unknown:
        raise Problem(
            422,
            "unknown_issuer",
            f"issuers must be registered on this ledger (GET /v1/issuers); not registered: {', '.join(unknown)}",
        )
    given = body.model_fields_set
    if body.preset is not None and ({"schema_name", "queries"} & given):
        raise _invalid("give either a preset with params, or a schema with queries, not both")
    if body.preset is None and "params" in given:
        raise _invalid(f"params belong to a preset ({', '.join(PRESETS)})")
    if body.preset is not None or body.schema_name is None:
        return
    schema = cr.schema(body.schema_name)
    slots = len(schema.attributes)
    for n, q in enumerate(body.queries):
        if q.slot >= slots:
            raise _invalid(f"queries[{n}]: schema {schema.name} has slots 0..{slots - 1}")
        low, high = Op[q.op].arity
        if len(q.values) < low or (high is not None and len(q.values) > high):
            count = f"{low}" if low == high else f"at least {low}"
            raise _invalid(f"queries[{n}]: {q.op} takes {count} value(s), got {len(q.values)}")
        if q.op in ("BETWEEN", "NOT_BETWEEN") and q.values[0] > q.values[1]:
            raise _invalid(f"queries[{n}]: {q.op} takes [low, high] with low ≤ high")
    if len(body.queries) > state.settings.queries:
        raise _invalid(f"a request holds at most {state.settings.queries} queries")


def _build(body: ProofRequestCreate, today: dt.date) -> ProofRequest:
    if body.preset is not None:
        preset, given = PRESETS[body.preset], body.params.model_dump()
        if missing := preset.missing(given):
            needs = " and ".join(f"params.{name}" for name in missing)
            raise Problem(422, "invalid_request", f"{preset.name} needs {needs}")
        return preset.build(given, today, body.issuers, body.scope)
    if body.schema_name is None:
        raise Problem(422, "invalid_request", "give a preset, or a schema and queries")
    queries = [Query(q.slot, Op[q.op], tuple(q.values)) for q in body.queries]
    return ProofRequest.new(cr.schema(body.schema_name), body.issuers, queries, body.scope, today)


@router.post("/v1/verifiers/{verifier}/requests", response_model=ProofRequestCreated, status_code=201)
def create_request(
    verifier: Id,
    body: ProofRequestCreate,
    http: Request,
    principal: Principal = Depends(require("verifier")),
    *,
    state: FreshState,
):
    """A proof request with a fresh challenge, answerable once within the request lifetime; with its link
    and QR code for the holder's phone.

    The scope must be the verifier's own (`<verifier>/<name>`) or a shared scope listing it
    (GET /v1/scopes); `today` is the date in the deployment's time zone."""
    acting_for(principal, verifier)
    if not scope_owned(state, verifier, body.scope):
        raise Problem(
            403,
            "scope_not_owned",
            f"{verifier} may ask only under {verifier}/<name> or a shared scope "
            "that lists it as a member (GET /v1/scopes)",
        )
    _check(body, state)
    request = _build(body, state.today())
    request = dataclasses.replace(request, q=state.settings.queries, m=state.settings.values)
    stored = {
        **request.to_json(),
        "about": about(body, request, int(state.settings.clock() * 1000), state.settings.request_ttl_s),
    }
    request_id = state.records.save_request(verifier, stored)
    return request_view(state, request_id, state.records.load_request(request_id), base_url(state, http))


@router.post("/v1/verifiers/{verifier}/requests/{request_id}/presentations", response_model=Receipt)
async def submit(
    verifier: Id,
    request_id: str,
    body: SubmitPresentation,
    principal: Principal = Depends(require("verifier")),
    *,
    state: State,
):
    """Check a presentation against its request; the receipt says accepted or refused, and why.

    The first accepted presentation answers the request (marked in the nullifier's transaction);
    refused ones leave it open until it expires."""
    acting_for(principal, verifier)
    found = state.records.load_request(request_id)
    if found is None or found[0] != verifier:
        raise Problem(404, "not_found", "no such proof request for this verifier")
    receipt = await answer(state, request_id, found, body.presentation.model_dump())
    return JSONResponse(receipt)  # already plain JSON types: skip FastAPI's re-encoding on the hot path
