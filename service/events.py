"""Decisions as events: each receipt the service signs is recorded once, streamed to whoever listens (server-sent
events per request and per verifier) and, if the verifier registered a webhook, POSTed to it signed.

Every worker process is a replica, so the presentation may be decided by another worker than the one holding
a desk's event stream. Decisions go to a table in the shared database; a worker publishes its own decisions
at once and polls the table (one indexed read every POLL_S, only while someone listens) for the others'.
PostgreSQL may commit sequence numbers out of order, so the poll reads by recording time with a look-back
and drops the sequence numbers it has already delivered.

What a listener learns: the request's stream (public: anyone holding the link) carries only the outcome;
the verifier's stream and webhooks carry the signed receipt, which holds no personal attribute.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections import defaultdict

import httpx

from .ledger.store import Store

log = logging.getLogger("zkelig.events")
POLL_S = 0.1
LOOK_BACK_MS = 5000  # a commit delayed longer than this behind a later sequence number would be missed
PUBLIC_FIELDS = ("request_id", "decision", "reason", "decided_at_ms")


def _schema(dialect: str) -> list[str]:
    serial = "INTEGER PRIMARY KEY AUTOINCREMENT" if dialect == "sqlite" else "BIGSERIAL PRIMARY KEY"
    return [
        f"CREATE TABLE IF NOT EXISTS decisions (seq {serial}, request_id TEXT NOT NULL, verifier TEXT NOT NULL,"
        " recorded_ms {int} NOT NULL, decision TEXT NOT NULL, reason TEXT NOT NULL, receipt TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS decisions_recorded ON decisions (recorded_ms)",
        "CREATE INDEX IF NOT EXISTS decisions_request ON decisions (request_id)",
        "CREATE INDEX IF NOT EXISTS decisions_verifier ON decisions (verifier, recorded_ms)",
        "CREATE TABLE IF NOT EXISTS verifier_profiles (verifier TEXT PRIMARY KEY, display_name TEXT NOT NULL,"
        " webhook_url TEXT, webhook_secret TEXT)",
    ]


def _event(row) -> dict:
    seq, request_id, verifier, recorded_ms, decision, reason, receipt = row
    return {"seq": seq, "request_id": request_id, "verifier": verifier, "recorded_ms": recorded_ms,
            "decision": decision, "reason": reason, "decided_at_ms": json.loads(receipt)["body"]["decided_at_ms"],
            "receipt": json.loads(receipt)}


def public_view(event: dict) -> dict:
    """What a request's public stream says: the outcome and when, nothing else."""
    return {k: event[k] for k in PUBLIC_FIELDS}


_COLUMNS = "seq, request_id, verifier, recorded_ms, decision, reason, receipt"


class Decisions:
    """The decisions table and verifiers' profiles (display name, webhook), beside the ledger."""

    def __init__(self, store: Store):
        self.store = store
        store.create_schema(_schema(store.dialect))

    def record(self, request_id: str, verifier: str, receipt: dict) -> dict:
        now = int(time.time() * 1000)
        body = receipt["body"]
        row = (request_id, verifier, now, body["decision"], body["reason"], json.dumps(receipt))
        with self.store.write(durable=False, ledger_lock=False) as tx:
            cursor = tx.execute("INSERT INTO decisions (request_id, verifier, recorded_ms, decision, reason, receipt)"
                                " VALUES (?, ?, ?, ?, ?, ?) RETURNING seq", row)
            seq = cursor.fetchone()[0]
        return _event((seq, *row))

    def recorded_since(self, since_ms: int, limit: int = 1000) -> list[dict]:
        with self.store.read() as tx:
            rows = tx.all(f"SELECT {_COLUMNS} FROM decisions WHERE recorded_ms >= ? ORDER BY seq LIMIT ?",
                          (since_ms, limit))
        return [_event(r) for r in rows]

    def for_request(self, request_id: str) -> list[dict]:
        with self.store.read() as tx:
            rows = tx.all(f"SELECT {_COLUMNS} FROM decisions WHERE request_id = ? ORDER BY seq", (request_id,))
        return [_event(r) for r in rows]

    def recent(self, verifier: str, since_ms: int, limit: int) -> list[dict]:
        """The verifier's latest decisions recorded since `since_ms`, newest first."""
        with self.store.read() as tx:
            rows = tx.all(f"SELECT {_COLUMNS} FROM decisions WHERE verifier = ? AND recorded_ms >= ?"
                          " ORDER BY seq DESC LIMIT ?", (verifier, since_ms, limit))
        return [_event(r) for r in rows]

    def profile(self, verifier: str) -> dict:
        with self.store.read() as tx:
            row = tx.one("SELECT display_name, webhook_url, webhook_secret FROM verifier_profiles WHERE verifier = ?",
                         (verifier,))
        if row is None:
            return {"verifier": verifier, "display_name": verifier, "webhook_url": None, "webhook_secret": None}
        return {"verifier": verifier, "display_name": row[0], "webhook_url": row[1], "webhook_secret": row[2]}

    def save_profile(self, verifier: str, display_name: str, webhook_url: str | None,
                     webhook_secret: str | None) -> None:
        with self.store.write(ledger_lock=False) as tx:
            tx.execute("DELETE FROM verifier_profiles WHERE verifier = ?", (verifier,))
            tx.execute("INSERT INTO verifier_profiles (verifier, display_name, webhook_url, webhook_secret)"
                       " VALUES (?, ?, ?, ?)", (verifier, display_name, webhook_url, webhook_secret))


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign_webhook(secret: str, timestamp_ms: int, payload: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>." + body, hex: the receiver recomputes it with its secret and
    rejects stale timestamps (replays)."""
    mac = hmac.new(secret.encode(), str(timestamp_ms).encode() + b"." + payload, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class EventHub:
    """Per-process fan-out of decisions to event streams, and webhook delivery for decisions made here."""

    def __init__(self, decisions: Decisions, webhook_attempts: int = 6, webhook_backoff_s: float = 1.0):
        self.decisions = decisions
        self.webhook_attempts, self.webhook_backoff_s = webhook_attempts, webhook_backoff_s
        # (kind, name) → {queue: recorded_ms from which it listens}
        self._listeners: dict[tuple[str, str], dict[asyncio.Queue, int]] = defaultdict(dict)
        self._delivered: dict[int, int] = {}  # seq → recorded_ms, to drop what the poll reads again
        self._poller: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()

    # --- publishing ---

    async def record(self, request_id: str, verifier: str, receipt: dict) -> dict:
        """Record a signed receipt as a decision, tell this process's listeners now, and start its webhook."""
        event = await asyncio.to_thread(self.decisions.record, request_id, verifier, receipt)
        self._dispatch(event)
        profile = await asyncio.to_thread(self.decisions.profile, verifier)
        if profile["webhook_url"]:
            self._spawn(self._deliver(profile["webhook_url"], profile["webhook_secret"], event))
        return event

    def _dispatch(self, event: dict) -> None:
        if event["seq"] in self._delivered:
            return
        self._delivered[event["seq"]] = event["recorded_ms"]
        for key in (("request", event["request_id"]), ("verifier", event["verifier"])):
            for queue, since_ms in list(self._listeners.get(key, {}).items()):
                if event["recorded_ms"] >= since_ms:  # the poll's look-back also finds decisions from before
                    try:
                        queue.put_nowait(event)
                    except asyncio.QueueFull:  # a listener that stopped reading: it resynchronises from decisions
                        pass

    # --- listening ---

    def subscribe(self, kind: str, name: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=1000)
        self._listeners[(kind, name)][queue] = int(time.time() * 1000)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll())
        return queue

    def unsubscribe(self, kind: str, name: str, queue: asyncio.Queue) -> None:
        listeners = self._listeners.get((kind, name))
        if listeners is not None:
            listeners.pop(queue, None)
            if not listeners:
                del self._listeners[(kind, name)]

    async def _poll(self) -> None:
        """Read what other workers decided, while anyone listens here."""
        cursor = int(time.time() * 1000)
        while self._listeners:
            await asyncio.sleep(POLL_S)
            now = int(time.time() * 1000)
            try:
                events = await asyncio.to_thread(self.decisions.recorded_since, cursor - LOOK_BACK_MS)
            except Exception as err:  # noqa: BLE001 - a database hiccup must not end every stream
                log.warning("event poll failed: %s", type(err).__name__)
                continue
            for event in events:
                self._dispatch(event)
            cursor = now
            self._forget(now - 4 * LOOK_BACK_MS)

    def _forget(self, before_ms: int) -> None:
        if len(self._delivered) > 10_000 or any(ms < before_ms for ms in list(self._delivered.values())[:1]):
            self._delivered = {seq: ms for seq, ms in self._delivered.items() if ms >= before_ms}

    # --- webhooks ---

    def _spawn(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, secret: str, event: dict) -> bool:
        """POST the event until the receiver answers 2xx, backing off 1, 2, 4 … × webhook_backoff_s."""
        payload = json.dumps({"type": "decision", "seq": event["seq"], "request_id": event["request_id"],
                              "verifier": event["verifier"], "decision": event["decision"], "reason": event["reason"],
                              "receipt": event["receipt"]}, separators=(",", ":")).encode()
        async with httpx.AsyncClient(timeout=10, follow_redirects=False) as client:
            for attempt in range(self.webhook_attempts):
                timestamp = int(time.time() * 1000)
                headers = {"Content-Type": "application/json", "X-Zkelig-Event": f"decision-{event['seq']}",
                           "X-Zkelig-Timestamp": str(timestamp), "X-Zkelig-Attempt": str(attempt + 1),
                           "X-Zkelig-Signature": sign_webhook(secret, timestamp, payload)}
                try:
                    response = await client.post(url, content=payload, headers=headers)
                    if 200 <= response.status_code < 300:
                        return True
                    outcome = str(response.status_code)
                except httpx.HTTPError as err:
                    outcome = type(err).__name__
                log.info("webhook for %s: attempt %d failed (%s)", event["verifier"], attempt + 1, outcome)
                await asyncio.sleep(min(300.0, self.webhook_backoff_s * 2**attempt))
        log.warning("webhook for %s: gave up on decision %d", event["verifier"], event["seq"])
        return False
