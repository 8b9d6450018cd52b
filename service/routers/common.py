"""What every router shares: the service state and the problem responses it documents."""

from __future__ import annotations

from fastapi import Depends, Request

from ..app import ServiceState

_PROBLEM = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def problem_responses(*statuses: int) -> dict:
    descriptions = {400: "malformed input", 401: "missing or unknown API key", 403: "not allowed for this key",
                    404: "not found", 409: "conflict with the ledger's state", 413: "body too large",
                    422: "invalid request body or parameters", 429: "rate limited (see Retry-After)",
                    503: "busy or unavailable (see Retry-After)"}
    return {s: {"description": descriptions[s], **_PROBLEM} for s in statuses}


async def get_state(request: Request) -> ServiceState:
    # Dependencies are async so that FastAPI does not hop to a worker thread for each of them.
    return request.app.state.zk


def fresh_state(state: ServiceState = Depends(get_state)) -> ServiceState:
    """The state after catching up with what other workers committed: for every answer that
    depends on the ledger. Each worker is a replica; without this, a credential issued through one
    worker is unknown to the next, and heads, entries and proofs disagree across responses.

    Sync on purpose: the catch-up is a database read, which belongs in the thread pool."""
    state.ledger.refresh()
    return state
