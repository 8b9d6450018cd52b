"""Request size limits, per-client rate limits (token buckets) for holder endpoints, and the
bounded queue of server-side proofs. Every refusal for load says when to come back (Retry-After).

The client a limit counts is the TCP peer, or the address a trusted proxy forwarded: uvicorn
rewrites `request.client` only for peers in `zkelig serve --forwarded-allow-ips` (default none)."""

from __future__ import annotations

import math
import threading
import time
from contextlib import contextmanager

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import problem_response


class BodyLimit:
    """ASGI middleware: refuse bodies over `limit` bytes with 413, by header or as they stream in.

    A body without Content-Length (chunked) is read here, up to the limit, before the app sees it:
    an error raised from inside the app's own body reading would be turned into a 400 by FastAPI."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.limit:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)  # the server delivers no more than the declared length
            return
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > self.limit:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(messages, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = problem_response(413, "body_too_large", f"request bodies are limited to {self.limit} bytes")
        await refusal(scope, receive, send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive() that hands out the buffered messages, then falls through to the server's."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


class RateLimiter:
    """Token bucket per client: `rate_per_minute` sustained, `burst` at once."""

    def __init__(self, rate_per_minute: int, burst: int):
        self.rate, self.burst = rate_per_minute / 60.0, float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        return self.wait_s(client) == 0

    def wait_s(self, client: str) -> float:
        """Take a token for this client: 0 if there was one, else the seconds until there will be."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                return (1 - tokens) / self.rate if self.rate > 0 else 3600.0
            self._buckets[client] = (tokens - 1, now)
            if len(self._buckets) > 100_000:  # forget idle clients rather than grow without bound
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 600}
            return 0.0


def retry_later(status: int, detail: str, after_s: float) -> HTTPException:
    """A 429 or 503 problem with Retry-After in whole seconds (at least 1); problem codes come from
    the status: rate_limited, unavailable."""
    return HTTPException(status, detail, headers={"Retry-After": str(max(1, math.ceil(after_s)))})


class Busy(Exception):
    def __init__(self, retry_after_s: float):
        super().__init__(f"retry after {retry_after_s:.0f} s")
        self.retry_after_s = retry_after_s


class ProvingQueue:
    """Admits at most `capacity` server-side proving requests per worker (running or waiting) and
    runs their proofs one at a time: a flood gets 503s at once, before any passphrase is tried,
    instead of taking every core from the verifiers. Retry-After is the queue's length times the
    recent proving time."""

    def __init__(self, capacity: int):
        self.capacity = max(1, capacity)
        self._admitted = threading.BoundedSemaphore(self.capacity)
        self._running = threading.Lock()
        self._recent_s = 1.0

    @contextmanager
    def admitted(self):
        if not self._admitted.acquire(blocking=False):
            raise Busy(self._recent_s * self.capacity)
        try:
            yield
        finally:
            self._admitted.release()

    @contextmanager
    def running(self):
        with self._running:
            start = time.monotonic()
            yield
            self._recent_s = 0.8 * self._recent_s + 0.2 * (time.monotonic() - start)
