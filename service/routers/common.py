"""What every router shares: the service state and the problem responses it documents."""

from __future__ import annotations

from fastapi import Request

from ..app import ServiceState

_PROBLEM = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def problem_responses(*statuses: int) -> dict:
    descriptions = {400: "malformed input", 401: "missing or unknown API key", 403: "not allowed for this key",
                    404: "not found", 409: "conflict with the ledger's state", 413: "body too large",
                    422: "invalid request body or parameters", 429: "rate limited"}
    return {s: {"description": descriptions[s], **_PROBLEM} for s in statuses}


async def get_state(request: Request) -> ServiceState:
    # Dependencies are async so that FastAPI does not hop to a worker thread for each of them.
    return request.app.state.zk
