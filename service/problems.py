"""RFC 9457 problem details: every error the API returns is application/problem+json with a
stable `code`, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from zkcore.errors import ZkError

from .ledger import LedgerError, StoreUnavailable

log = logging.getLogger("zkelig.api")
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://zkelig.example/problems/"

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                 409: "conflict", 413: "body_too_large", 415: "unsupported_media_type", 422: "invalid_request",
                 429: "rate_limited", 500: "internal_error", 503: "unavailable"}
_LEDGER_STATUS = {"unknown_issuer": 404, "already_registered": 409, "bad_revocation": 409, "nullifier_reused": 409,
                  "bad_statement": 403, "stale_statement": 409}
RETRY_AFTER_S = 5  # what a client is told to wait when the database cannot be used


def _rule(err: dict) -> str:
    """The rule a field broke, in words, from pydantic's error type and context: never the value
    that broke it (it may be a personal attribute or a passphrase)."""
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    rules = {
        "missing": lambda: "is required",
        "extra_forbidden": lambda: "is not an allowed field",
        "string_pattern_mismatch": lambda: f"must match the pattern {ctx.get('pattern')}",
        "string_too_short": lambda: f"must be at least {ctx.get('min_length')} characters",
        "string_too_long": lambda: f"must be at most {ctx.get('max_length')} characters",
        "too_short": lambda: f"must have at least {ctx.get('min_length')} items",
        "too_long": lambda: f"must have at most {ctx.get('max_length')} items",
        "literal_error": lambda: f"must be one of {ctx.get('expected')}",
        "enum": lambda: f"must be one of {ctx.get('expected')}",
        "greater_than_equal": lambda: f"must be ≥ {ctx.get('ge')}",
        "greater_than": lambda: f"must be > {ctx.get('gt')}",
        "less_than_equal": lambda: f"must be ≤ {ctx.get('le')}",
        "less_than": lambda: f"must be < {ctx.get('lt')}",
        "int_type": lambda: "must be an integer (a JSON number, not a string)",
        "int_parsing": lambda: "must be an integer",
        "int_from_float": lambda: "must be a whole number",
        "string_type": lambda: "must be a string",
        "bool_type": lambda: "must be true or false",
        "list_type": lambda: "must be a list",
        "dict_type": lambda: "must be an object",
        "model_type": lambda: "must be an object",
        "model_attributes_type": lambda: "must be an object",
        "date_type": lambda: "must be a date, YYYY-MM-DD",
        "date_parsing": lambda: "must be a date, YYYY-MM-DD",
        "date_from_datetime_parsing": lambda: "must be a date, YYYY-MM-DD",
        "date_from_datetime_inexact": lambda: "must be a date, YYYY-MM-DD",
        "json_invalid": lambda: "must be valid JSON",
        "json_type": lambda: "must be valid JSON",
    }
    describe = rules.get(kind)
    return describe() if describe else "is not valid here"


def _field(err: dict) -> str:
    # pydantic ends the location of a union member with its type ("int", "date", "function-after[…]")
    loc = [str(p) for p in err.get("loc", ())]
    while len(loc) > 1 and (loc[-1] in _TYPE_TAGS or "[" in loc[-1]):
        loc.pop()
    return ".".join(loc) or "body"


_TYPE_TAGS = {"int", "str", "date", "bool", "list", "dict", "none", "literal", "union"}


class Problem(Exception):
    def __init__(self, status: int, code: str, detail: str):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def problem_response(status: int, code: str, detail: str, headers: dict | None = None) -> JSONResponse:
    body = {"type": TYPE_BASE + code, "title": code.replace("_", " "), "status": status, "detail": detail, "code": code}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem):
        return problem_response(exc.status, exc.code, exc.detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException):
        code = _STATUS_CODES.get(exc.status_code, "error")
        return problem_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        # Name each field and the rule it broke, never its value (it may be a personal attribute).
        problems = dict.fromkeys(f"{_field(err)} {_rule(err)}" for err in exc.errors())
        listed = list(problems)[:8]
        more = f" (and {len(problems) - len(listed)} more)" if len(problems) > len(listed) else ""
        return problem_response(422, "invalid_request", "; ".join(listed) + more)

    @app.exception_handler(StoreUnavailable)
    async def _unavailable(request: Request, exc: StoreUnavailable):
        log.warning("database unavailable on %s %s", request.method, request.url.path)
        return problem_response(503, "unavailable", "the ledger's database cannot be used right now; retry shortly",
                                {"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(ZkError)
    async def _zk(_: Request, exc: ZkError):
        return problem_response(400, "malformed_input", str(exc))

    @app.exception_handler(LedgerError)
    async def _ledger(_: Request, exc: LedgerError):
        return problem_response(_LEDGER_STATUS.get(exc.code, 409), exc.code, str(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return problem_response(500, "internal_error", "the service failed to handle this request")
