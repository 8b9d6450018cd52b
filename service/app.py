"""The HTTP service: `create_app(settings)` wires the ledger, keys and records to routers per actor.

    /v1/issuers    register (admin), issue and revoke credentials (issuer keys, own issuer only)
    /v1/holders    wallets encrypted at rest, membership paths, presentations (rate limited)
    /v1/verifiers  proof requests and presentation submission → signed receipts (verifier keys)
    /v1/requests   a proof request by id, its QR code, one presentation to it, its outcome as events
    /v1/ledger     signed heads, entries, proofs, roots, nullifier status, statistics (public / auditor)
    /v1/statistics counts per day, JSON or CSV: from the ledger (public), of the service (auditor)
    /v1/keys       verification keys and circuit digests
    /v1/scopes     shared scopes and their member verifiers (public)
    /v1/admin      API keys (list, create, revoke) and shared scopes
    /fhir          FHIR R4 CoverageEligibilityRequest/Response for hospital systems (verifier keys)
    /v1/presets    the preset registry (questions and their words), for pages and wallets
    /desk, /wallet, /regulator, /web/…   the pages (service/web/) and the browser code they load
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import access_log, deps, docs, problems
from .limits import BodyLimit
from .routers import (
    admin,
    artifacts,
    fhir,
    funds,
    holders,
    issuers,
    keys,
    ledger,
    pages,
    pickups,
    requests,
    scopes,
    statistics,
    tiles,
    verifiers,
)
from .settings import Settings
from .state import build_state


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    state = build_state(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        state.prover.start()  # loads and prepares the proving key while the worker starts serving
        yield
        state.close()

    app = FastAPI(
        title="zkelig",
        version="0.1.0",
        summary="Eligibility proofs that reveal nothing else: issuers, holders, verifiers, auditors.",
        lifespan=lifespan,
        docs_url=None,  # served by .docs from packaged assets, not a CDN
        redoc_url=None,
    )
    deps.attach(app, state)
    problems.install(app)
    access_log.install()
    docs.install(app)
    for module in (issuers, holders, verifiers, requests, ledger, statistics, funds, keys, scopes, admin, artifacts,
                   tiles, fhir, pickups):
        app.include_router(module.router)
    app.include_router(pages.api)
    app.include_router(pages.router)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    _document_problems(app)
    return app


def _document_problems(app: FastAPI) -> None:
    """Add the RFC 9457 Problem schema that every error response refers to."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = {
                "type": "object",
                "required": ["type", "title", "status", "detail", "code"],
                "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                               "detail": {"type": "string"}, "code": {"type": "string"}},
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
