"""The service's state: what every request handler works with (ledger, records, keys, limits, events),
built once per worker process from its Settings. Routers reach it through `service.deps`."""

from __future__ import annotations

import datetime as dt
import gc
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from circuits.credential_query import credential_query_circuit

from .events import Decisions, EventHub
from .keys import KeySet, check_servable, circuit_name, ensure_keys
from .ledger import DuplicateRegistration, Ledger, LedgerKey, open_store
from .ledger.store import private_dir
from .limits import ProvingQueue, RateLimiter
from .prover import Prover
from .records import Records
from .settings import Settings, check_settings
from .verification import BatchVerifier


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
    prover: Prover  # a low-priority child process: server-side proofs never take the cores from verification
    zone: ZoneInfo
    events: EventHub

    def today(self) -> dt.date:
        """The date in the deployment's time zone (ZKELIG_TIMEZONE): what requests' `today` is."""
        return dt.datetime.fromtimestamp(self.settings.clock(), self.zone).date()

    def close(self) -> None:
        self.prover.close()
        self.verifier.close()
        self.ledger.close()


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
    if ledger.circuit_digest(circuit) is None:
        try:
            ledger.register_circuit(circuit, bytes.fromhex(keys.vk_digest))
        except DuplicateRegistration:  # another replica registered it first
            pass
    if (ledger.circuit_digest(circuit) or bytes.fromhex(keys.vk_digest)).hex() != keys.vk_digest:
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
