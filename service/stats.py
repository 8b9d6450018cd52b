"""Statistics worth reading, as rows (day, metric, subject, detail, count) for JSON, CSV and plots.

Ledger-derived (public: anyone can recount them from the entries and signed heads):
    entries               subject = entry kind
    issuers_registered    subject = issuer
    credentials_issued    subject = issuer
    credentials_revoked   subject = issuer
    nullifiers            subject = scope name (as recorded on the ledger; 0x… if it was never named),
                          detail = the verifier that recorded it
    claims                subject = payer (how many: the amounts are commitments)

Service-side (auditor role: they never reach the ledger):
    requests_created      subject = verifier
    answers_refused       subject = verifier, detail = reason

An entry's day is the UTC day of the first signed head that covers it (entries carry no clock);
a request's day is when it was created, a refusal's when it was made.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import queue
import threading
import time
import weakref
from collections import Counter

from circuits import credentials as cr

from .batching import next_batch
from .ledger import entries as e
from .ledger.checkpoint import SignedHead
from .ledger.store import Store

log = logging.getLogger("zkelig.stats")
COLUMNS = ("day", "metric", "subject", "detail", "count")
DAY_MS = 86_400_000

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS refusals (day TEXT NOT NULL, verifier TEXT NOT NULL, reason TEXT NOT NULL,"
    " n {int} NOT NULL, PRIMARY KEY (day, verifier, reason))",
]
_KIND_METRIC = {e.Kind.ISSUER: "issuers_registered", e.Kind.COMMITMENT: "credentials_issued",
                e.Kind.REVOCATION: "credentials_revoked", e.Kind.CLAIM: "claims"}


def _day(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date().isoformat()


def to_rows(counts: Counter) -> list[dict]:
    return [dict(zip(COLUMNS, (*key, n))) for key, n in sorted(counts.items())]


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


class LedgerStatistics:
    """Counts over a ledger's entries, brought up to date incrementally from its store."""

    def __init__(self) -> None:
        self.size = 0
        self.checkpoint: str | None = None
        self.counts: Counter = Counter()
        self.scope_names: dict[int, str] = {}
        self._lock = threading.Lock()

    def update(self, store: Store) -> LedgerStatistics:
        with self._lock, store.read() as tx:
            for size, text in tx.heads(self.size):
                day = _day(SignedHead.from_text(text).timestamp_ms)
                for data in tx.entries(self.size, size):
                    self._count(e.decode(data), day)
                self.size, self.checkpoint = size, text
        return self

    def _count(self, entry: e.Entry, day: str) -> None:
        self.counts[(day, "entries", entry.kind.name.lower(), "")] += 1
        if isinstance(entry, e.ScopeNamed):
            self.scope_names[cr.scope_id(entry.name)] = entry.name
        elif isinstance(entry, e.NullifierUsed):
            scope = self.scope_names.get(entry.scope, f"{entry.scope:#066x}")
            self.counts[(day, "nullifiers", scope, entry.verifier)] += 1
        elif entry.kind in _KIND_METRIC:
            self.counts[(day, _KIND_METRIC[entry.kind], getattr(entry, "issuer", None) or entry.payer, "")] += 1

    def rows(self) -> list[dict]:
        with self._lock:
            return to_rows(self.counts)


_LEDGERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # store → its LedgerStatistics
_READY: weakref.WeakSet = weakref.WeakSet()  # stores whose refusals table exists


def ledger_statistics(store: Store) -> LedgerStatistics:
    stats = _LEDGERS.get(store)
    if stats is None:
        stats = _LEDGERS.setdefault(store, LedgerStatistics())
    return stats.update(store)


def _ensure_schema(store: Store) -> None:
    if store not in _READY:
        store.create_schema(_SCHEMA)
        _READY.add(store)


class _RefusalCounter:
    """Refusals are counted off the request path: a daemon thread adds up whatever has queued and
    writes it in one transaction (a crash may lose the last few counts, never a receipt)."""

    def __init__(self, store: Store):
        self.store = store
        self.queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._run, name="zkelig-refusal-counter", daemon=True).start()

    def _run(self) -> None:
        while True:
            batch = next_batch(self.queue, 4096)
            if batch is None:
                return
            try:
                _ensure_schema(self.store)
                with self.store.write(durable=False, ledger_lock=False) as tx:
                    for (day, verifier, reason), n in Counter(batch).items():
                        tx.execute("INSERT INTO refusals (day, verifier, reason, n) VALUES (?, ?, ?, ?) ON CONFLICT"
                                   " (day, verifier, reason) DO UPDATE SET n = refusals.n + excluded.n",
                                   (day, verifier, reason, n))
            except Exception as err:  # noqa: BLE001 - a lost count is logged; the thread carries on
                log.warning("%d refusals were not counted (%s)", len(batch), type(err).__name__)
            finally:
                for _ in batch:
                    self.queue.task_done()


_COUNTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # store → its _RefusalCounter
_COUNTERS_LOCK = threading.Lock()


def _counter(store: Store) -> _RefusalCounter:
    with _COUNTERS_LOCK:
        counter = _COUNTERS.get(store)
        if counter is None:
            counter = _COUNTERS[store] = _RefusalCounter(store)
        return counter


def record_refusal(store: Store, verifier: str, reason: str) -> None:
    """Count one refused answer (returns at once; see _RefusalCounter)."""
    _counter(store).queue.put((_day(int(time.time() * 1000)), verifier, reason))


def service_rows(store: Store) -> list[dict]:
    _counter(store).queue.join()  # this process's refusals so far are in the table
    _ensure_schema(store)
    counts: Counter = Counter()
    with store.read() as tx:
        for verifier, day, n in tx.all(f"SELECT verifier, created_ms / {DAY_MS}, COUNT(*) FROM proof_requests"
                                       " GROUP BY 1, 2"):
            counts[(_day(int(day) * DAY_MS), "requests_created", verifier, "")] += n
        for day, verifier, reason, n in tx.all("SELECT day, verifier, reason, n FROM refusals"):
            counts[(day, "answers_refused", verifier, reason)] += n
    return to_rows(counts)
