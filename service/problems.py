"""RFC 9457 problem details: every error the API returns is application/problem+json with a
stable `code`, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from zkcore.errors import ZkError

from .ledger import LedgerError

log = logging.getLogger("zkelig.api")
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://zkelig.example/problems/"

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                 409: "conflict", 413: "body_too_large", 415: "unsupported_media_type", 422: "invalid_request",
                 429: "rate_limited", 500: "internal_error", 503: "unavailable"}
_LEDGER_STATUS = {"unknown_issuer": 404, "already_registered": 409, "bad_revocation": 409, "nullifier_reused": 409,
                  "bad_statement": 403, "stale_statement": 409}


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
        # Name the fields, never echo their values (they may be personal attributes).
        fields = sorted({".".join(str(p) for p in err.get("loc", ())) for err in exc.errors()})
        return problem_response(422, "invalid_request", f"invalid or missing fields: {', '.join(fields)}")

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
