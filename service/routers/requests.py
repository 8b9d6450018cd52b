"""/v1/requests/{id}: the holder's side of a request (the request in words, its QR code, one presentation to
it, its outcome as a live event stream); /v1/verifiers/{v}/events, decisions and profile: the verifier's live
view of its answers, its display name and its webhook.

The request id with its challenge is the capability: no API key is needed to read a request or answer it,
and what comes back (the request, the receipt, the outcome) holds nothing personal.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sse_starlette.sse import EventSourceResponse

from ..auth import acting_for, require
from ..deps import State
from ..events import new_webhook_secret, public_view
from ..handoff import answer, base_url, expires_at_ms, request_view
from ..problems import Problem
from ..records import Principal
from ..schemas import Id, ProofRequestCreated, Receipt, Strict, SubmitPresentation
from .common import problem_responses
from .holders import rate_limited

RequestId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{8,64}$", description="a proof request id")]
PING_S = 15  # a comment line keeps proxies from closing an idle stream

router = APIRouter(responses=problem_responses(400, 404, 422))


def _found(state, request_id: str) -> tuple:
    found = state.records.load_request(request_id)
    if found is None:
        raise Problem(404, "not_found", "no such proof request")
    return found


@router.get("/v1/requests/{request_id}", tags=["holders"], response_model=ProofRequestCreated)
def get_request(request_id: RequestId, http: Request, state: State) -> dict:
    """The proof request a verifier handed out, with what a wallet needs to ask for consent in words: the
    preset and its parameters, the verifier's display name, the expiry (ISO 8601 and milliseconds)."""
    return request_view(state, request_id, _found(state, request_id), base_url(state, http))


@router.get("/v1/requests/{request_id}/qr.svg", tags=["holders"],
            responses={200: {"content": {"image/svg+xml": {}}, "description": "the request link as a QR code"}})
def request_qr(request_id: RequestId, http: Request, state: State) -> Response:
    """The request link (`<service>/wallet#request=<id>`) as a QR code for the holder's phone camera."""
    link = request_view(state, request_id, _found(state, request_id), base_url(state, http))["link"]
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", scale=6, border=4, xmldecl=False, svgns=True,
                                     title="Request link", dark="#000", light="#fff")
    return Response(out.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=60"})


@router.post("/v1/requests/{request_id}/presentations", tags=["holders"], response_model=Receipt,
             dependencies=[Depends(rate_limited)], responses=problem_responses(413, 429))
async def present(request_id: RequestId, body: SubmitPresentation, state: State):
    """Answer a request with one presentation, holding only its link: the same checks and signed receipt as
    the verifier's own submission. The first accepted presentation answers the request; later ones are
    refused (request_already_answered), as are presentations after the expiry."""
    found = await asyncio.to_thread(_found, state, request_id)
    receipt = await answer(state, request_id, found, body.presentation.model_dump())
    return JSONResponse(receipt)


def _sse(event: dict, data: dict) -> dict:
    return {"event": "decision", "id": str(event["seq"]), "data": json.dumps(data, separators=(",", ":"))}


@router.get("/v1/requests/{request_id}/events", tags=["holders"],
            responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}})
async def request_events(request_id: RequestId, http: Request, state: State):
    """Server-sent events for one request: `status` once (answered, expiry), a `decision` for each presentation
    decided (outcome and reason only), `expired` when the request lapses. Public, like the request."""
    found = await asyncio.to_thread(_found, state, request_id)
    _, stored, created_ms, answered = found
    expires = expires_at_ms(stored, created_ms, state.settings.request_ttl_s)
    hub = state.events
    queue = hub.subscribe("request", request_id)

    async def stream():
        try:
            yield {"event": "status", "data": json.dumps({"request_id": request_id, "answered": answered,
                                                           "expires_at_ms": expires})}
            seen: set[int] = set()
            for event in await asyncio.to_thread(hub.decisions.for_request, request_id):
                seen.add(event["seq"])
                yield _sse(event, public_view(event))
            expired_told = False
            while True:
                left = expires / 1000 - time.time()
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=max(0.05, left) if not expired_told else None)
                except TimeoutError:
                    expired_told = True
                    yield {"event": "expired", "data": json.dumps({"request_id": request_id, "expires_at_ms": expires})}
                    continue
                if event["seq"] not in seen:
                    seen.add(event["seq"])
                    yield _sse(event, public_view(event))
        finally:
            hub.unsubscribe("request", request_id, queue)

    return EventSourceResponse(stream(), ping=PING_S, headers={"Cache-Control": "no-store"})


@router.get("/v1/verifiers/{verifier}/events", tags=["verifiers"], responses={
    200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}, **problem_responses(401, 403)})
async def verifier_events(verifier: Id, principal: Principal = Depends(require("verifier")), *, state: State):
    """Server-sent events of every decision on this verifier's requests, each with its signed receipt."""
    acting_for(principal, verifier)
    hub = state.events
    queue = hub.subscribe("verifier", verifier)

    async def stream():
        try:
            while True:
                event = await queue.get()
                yield _sse(event, {k: event[k] for k in ("request_id", "decision", "reason", "decided_at_ms",
                                                         "recorded_ms", "receipt")})
        finally:
            hub.unsubscribe("verifier", verifier, queue)

    return EventSourceResponse(stream(), ping=PING_S, headers={"Cache-Control": "no-store"})


@router.get("/v1/verifiers/{verifier}/decisions", tags=["verifiers"], responses=problem_responses(401, 403))
def decisions(verifier: Id, since_ms: int = Query(0, ge=0, le=2**48), limit: int = Query(50, ge=1, le=500),
              principal: Principal = Depends(require("verifier")), *, state: State) -> dict:
    """This verifier's latest decisions recorded since `since_ms` (newest first), with their signed receipts:
    the desk's list of the day and its fallback when event streams are unavailable."""
    acting_for(principal, verifier)
    found = state.events.decisions.recent(verifier, since_ms, limit)
    return {"decisions": [{k: e[k] for k in ("request_id", "decision", "reason", "decided_at_ms", "recorded_ms",
                                             "receipt")} for e in found]}


@router.get("/v1/whoami", tags=["verifiers"], responses=problem_responses(401))
def whoami(principal: Principal = Depends(require("issuer", "verifier", "auditor")), *, state: State) -> dict:
    """The role and subject of the API key sent, and a verifier's display name: what a page shows after sign-in."""
    name = state.events.decisions.profile(principal.subject)["display_name"] if principal.role == "verifier" else ""
    return {"role": principal.role, "subject": principal.subject, "display_name": name or principal.subject}


class ProfileUpdate(Strict):
    display_name: Annotated[str, Field(min_length=1, max_length=120)]
    webhook_url: Annotated[str, Field(pattern=r"^https?://[^\s]{1,2000}$")] | None = None


class Profile(BaseModel):
    verifier: str
    display_name: str
    webhook_url: str | None
    webhook_secret: str | None = Field(None, description="returned once, when a webhook URL is set: the HMAC key")


@router.get("/v1/verifiers/{verifier}/profile", tags=["verifiers"], response_model=Profile,
            responses=problem_responses(401, 403))
def get_profile(verifier: Id, principal: Principal = Depends(require("verifier")), *, state: State) -> Profile:
    """The name holders see for this verifier, and its webhook URL (never the secret again)."""
    acting_for(principal, verifier)
    profile = state.events.decisions.profile(verifier)
    return Profile(verifier=verifier, display_name=profile["display_name"], webhook_url=profile["webhook_url"])


@router.put("/v1/verifiers/{verifier}/profile", tags=["verifiers"], response_model=Profile,
            responses=problem_responses(401, 403, 413))
def put_profile(verifier: Id, body: ProfileUpdate, principal: Principal = Depends(require("verifier")),
                *, state: State) -> Profile:
    """Set the display name and, optionally, a webhook: each decision is POSTed to it as JSON with
    `X-Zkelig-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Zkelig-Timestamp>." + body)>`, retried with
    back-off until it answers 2xx. A new secret is made each time a webhook is set, and returned only here."""
    acting_for(principal, verifier)
    secret = new_webhook_secret() if body.webhook_url else None
    state.events.decisions.save_profile(verifier, body.display_name, body.webhook_url, secret)
    return Profile(verifier=verifier, display_name=body.display_name, webhook_url=body.webhook_url,
                   webhook_secret=secret)
