"""The hand-off between a verifier and a holder: what a request says about itself (preset, parameters,
who asks, until when, the link and QR code for the holder's phone), and answering it with one presentation.

The request id is a 128-bit random token and the request carries a fresh challenge that the proof must
be bound to: whoever holds the link may fetch the request and submit a presentation to it, through the
same checks, receipts and limits as the verifier's own submission (`answer` is that one path).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from circuits.requests import PRESETS, Presentation, ProofRequest
from zkcore.groth16 import Proof, public_inputs_from_snarkjs

from .problems import Problem
from .schemas import ProofRequestCreate
from .verification import decide, receipt_body, refuse

log = logging.getLogger("zkelig.api")
_PARSED: dict[str, ProofRequest] = {}  # request id → parsed request; a stored request never changes


def parsed(request_id: str, stored: dict) -> ProofRequest:
    request = _PARSED.get(request_id)
    if request is None:
        if len(_PARSED) > 10_000:
            _PARSED.clear()
        request = _PARSED[request_id] = ProofRequest.from_json(stored)
    return request


def about(body: ProofRequestCreate, request: ProofRequest, created_ms: int, ttl_s: float) -> dict:
    """What is stored beside a request so anyone can say it in words: its preset and resolved parameters
    (the day a preset defaults to is written out) and when it expires."""
    if body.ttl_s is not None and body.ttl_s > ttl_s:
        raise Problem(422, "invalid_request", f"ttl_s may not exceed the service's request lifetime ({int(ttl_s)} s)")
    lifetime = body.ttl_s if body.ttl_s is not None else ttl_s
    params: dict = {}
    if body.preset is not None:
        preset = PRESETS[body.preset]
        params = preset.to_json(preset.resolve(body.params.model_dump(), request.today))
    return {"preset": body.preset, "params": params, "expires_at_ms": created_ms + int(lifetime * 1000)}


def expires_at_ms(stored: dict, created_ms: int, ttl_s: float) -> int:
    return stored.get("about", {}).get("expires_at_ms") or created_ms + int(ttl_s * 1000)


def question(stored: dict) -> dict:
    """The question a receipt restates: the preset and its parameters, and the exact queries proven."""
    info = stored.get("about", {})
    return {"preset": info.get("preset"), "params": info.get("params", {}), "schema": stored["schema"],
            "queries": stored["queries"], "today": stored["today"]}


def base_url(state, http_request) -> str:
    """The public URL of this service: PUBLIC_URL if configured, else what the caller used (its Host header)."""
    configured = state.settings.public_url
    return configured.rstrip("/") if configured else str(http_request.base_url).rstrip("/")


def request_view(state, request_id: str, found: tuple, base: str) -> dict:
    """A request as a holder's wallet or a desk shows it: everything needed to ask for consent in words."""
    verifier, stored, created_ms, answered = found
    expires = expires_at_ms(stored, created_ms, state.settings.request_ttl_s)
    info = stored.get("about", {})
    request = {k: v for k, v in stored.items() if k != "about"}
    return {
        "request_id": request_id,
        "verifier": verifier,
        "verifier_name": state.events.decisions.profile(verifier)["display_name"],
        "preset": info.get("preset"),
        "params": info.get("params", {}),
        "request": request,
        "answered": answered,
        "created_at_ms": created_ms,
        "expires_at_ms": expires,
        "expires_at": dt.datetime.fromtimestamp(expires / 1000, dt.UTC).isoformat(timespec="seconds"),
        "link": f"{base}/wallet#request={request_id}",
        "qr_svg": f"{base}/v1/requests/{request_id}/qr.svg",
    }


async def answer(state, request_id: str, found: tuple, presentation_json: dict) -> dict:
    """The signed receipt for one presentation to a stored request, recorded as a decision (events, webhooks).

    Malformed points or signals raise before any decision: a 400, and the request stays answerable. An
    accepted receipt carries its ledger entry's inclusion proof under a signed head, so it checks offline."""
    verifier, stored, created_ms, answered = found
    request = parsed(request_id, stored)
    presentation = Presentation.from_json(presentation_json)
    proof = Proof.from_snarkjs(presentation.proof)
    public_inputs_from_snarkjs(presentation.public_signals)
    body = {**receipt_body(request_id, verifier, request, presentation), "question": question(stored)}
    if state.settings.clock() * 1000 > expires_at_ms(stored, created_ms, state.settings.request_ttl_s):
        receipt = refuse(state.ledger, body, "request_expired")
    elif answered:
        receipt = refuse(state.ledger, body, "request_already_answered")
    else:
        receipt = await decide(state.ledger, state.verifier, body, request, presentation, proof,
                               claim=state.records.request_claim(request_id))
    if receipt["body"]["decision"] == "accepted":
        included = await asyncio.to_thread(state.ledger.receipt, receipt["body"]["log_index"])
        receipt["inclusion"] = included.to_json()
    try:
        await state.events.record(request_id, verifier, receipt)
    except Exception as err:  # noqa: BLE001 - the signed receipt stands; only its event is lost
        log.warning("decision on a request not recorded as an event: %s", type(err).__name__)
    return receipt
