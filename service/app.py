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

import datetime as dt
import gc
import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import FastAPI

from circuits.credential_query import credential_query_circuit

from . import access_log, docs, problems
from .auth import weak_admin_key
from .events import Decisions, EventHub
from .keys import KeySet, check_servable, circuit_name, ensure_keys
from .ledger import DuplicateRegistration, Ledger, LedgerKey, open_store
from .ledger.store import private_dir
from .limits import BodyLimit, ProvingQueue, RateLimiter
from .prover import Prover
from .records import Records
from .settings import Settings
from .verification import BatchVerifier

log = logging.getLogger("zkelig.api")


@dataclass
class ServiceState:
    settings: Settings
    ledger: Ledger
    records: Records
    keys: KeySet
    circuit: str
    verifier: BatchVerifier
    holder_limits: RateLimiter
    proving: ProvingQueue
    prover: Prover
    zone: ZoneInfo
    events: EventHub

    def today(self) -> dt.date:
        """The date in the deployment's time zone (ZKELIG_TIMEZONE): what requests' `today` is."""
        return dt.datetime.fromtimestamp(self.settings.clock(), self.zone).date()

    def close(self) -> None:
        self.prover.close()
        self.verifier.close()
        self.ledger.close()


class SettingsRefused(ValueError):
    """A setting the service will not start with; the message says what to do."""


def time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsRefused(f"ZKELIG_TIMEZONE={name!r} is not an IANA time zone (e.g. UTC, Europe/Amsterdam)"
                              ) from None


def check_settings(settings: Settings) -> ZoneInfo:
    """Refuse settings that would make an unsafe or wrong service, before anything is created."""
    weak = weak_admin_key(settings.admin_key)
    if weak:
        raise SettingsRefused(weak)
    return time_zone(settings.timezone)


def build_state(settings: Settings) -> ServiceState:
    zone = check_settings(settings)
    private_dir(settings.data_dir)
    store = open_store(settings.ledger_url)
    ledger = Ledger(store, LedgerKey.load_or_create(settings.ledger_key_file), settings.ledger_origin,
                    settings.tree_depth, settings.root_window_s)
    keys = ensure_keys(settings.keys_dir, settings.tree_depth, settings.queries, settings.values)
    check_servable(keys, settings.dev_setup)
    keys.pk  # noqa: B018 - a key that does not load stops the start-up here (the prover child loads its own copy)
    credential_query_circuit(settings.tree_depth, settings.queries, settings.values)
    circuit = circuit_name(settings.tree_depth, settings.queries, settings.values)
    if ledger.circuits.get(circuit) is None:
        try:
            ledger.register_circuit(circuit, bytes.fromhex(keys.vk_digest))
        except DuplicateRegistration:  # another replica registered it first
            pass
    if ledger.circuits.get(circuit, bytes.fromhex(keys.vk_digest)).hex() != keys.vk_digest:
        raise RuntimeError(f"the ledger registered another verification key for {circuit}")
    state = ServiceState(settings, ledger, Records(store, settings.clock), keys, circuit,
                         BatchVerifier(keys.vk, settings.verify_batch_max),
                         RateLimiter(settings.holder_rate_per_minute, settings.holder_burst),
                         ProvingQueue(settings.prove_queue),
                         Prover(keys.directory / "circuit.zkey", settings.tree_depth, settings.queries,
                                settings.values, settings.prove_timeout_s, settings.prove_nice),
                         zone,
                         EventHub(Decisions(store), webhook_backoff_s=settings.webhook_backoff_s))
    _warm_up(state)
    # Everything loaded so far lives as long as the process: keep the collector from rescanning it,
    # which would otherwise show as pauses in the tail of request latencies.
    gc.collect()
    gc.freeze()
    return state


def _warm_up(state: ServiceState) -> None:
    """Pay one-off costs now rather than on the first requests: Poseidon's sparse parameters for
    the query-hash widths and loading the verification kernels from numba's cache. (The proving
    key's MSM tables live in the prover child: service.prover.)"""
    from circuits.requests import age_at_least
    from zkcore.curve import G1, G2
    from zkcore.groth16 import Proof, batch_verify, verify

    request = age_at_least(18, state.today(), ["warm-up"], "warm-up")
    inputs = request.public_inputs(1, 1)
    dummy = Proof(G1.generator(), G2.generator(), G1.generator())
    verify(state.verifier.pvk, dummy, inputs)
    batch_verify(state.verifier.pvk, [(dummy, inputs)] * 2)
    Proof.from_snarkjs(dummy.to_snarkjs())


def create_app(settings: Settings | None = None) -> FastAPI:
    from .routers import (
        admin,
        artifacts,
        fhir,
        holders,
        issuers,
        keys,
        ledger,
        pages,
        requests,
        scopes,
        statistics,
        tiles,
        verifiers,
    )

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
    app.state.zk = state
    problems.install(app)
    access_log.install()
    docs.install(app)
    for module in (issuers, holders, verifiers, requests, ledger, statistics, keys, scopes, admin, artifacts, tiles,
                   fhir):
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
