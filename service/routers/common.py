"""What every router shares: the problem responses it documents. (The state they work with comes
from `service.deps`: `State`, `FreshState`.)"""

from __future__ import annotations

_PROBLEM = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def problem_responses(*statuses: int) -> dict:
    descriptions = {400: "malformed input", 401: "missing or unknown API key", 403: "not allowed for this key",
                    404: "not found", 409: "conflict with the ledger's state", 413: "body too large",
                    422: "invalid request body or parameters", 429: "rate limited (see Retry-After)",
                    503: "busy or unavailable (see Retry-After)"}
    return {s: {"description": descriptions[s], **_PROBLEM} for s in statuses}
