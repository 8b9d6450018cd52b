"""Live results: how fast a decision reaches the desk. `zkelig serve --workers 2` (its own process, SQLite)
on loopback; the desk listens on its verifier event stream (SSE) and on each request's public stream.

Each submission goes through the link (POST /v1/requests/{id}/presentations, no key) and is decided, signed,
recorded and published; the clock runs from the moment the submission is sent to the moment the event is
read from the desk's stream, whichever worker decided it and whichever holds the stream (the other worker
learns decisions by polling the decisions table every 100 ms).

Most submissions reuse one real presentation on fresh requests, which the service refuses as answering
another request (request_mismatch): the full hand-off, receipt and event path without proving hundreds of
proofs first. A few real proofs measure the accepted path (Groth16 verification and ledger append included).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from _common import ROOT, report, start_service

from circuits import credentials as cr
from service.client import ZkeligClient
from service.keys import ensure_keys

ADMIN = "zk_" + secrets.token_urlsafe(32)  # the service refuses admin keys under 128 bits
N_EVENTS, CLIENTS, N_ACCEPTED, WORKERS = int(os.environ.get("BENCH_EVENTS", "300")), 8, 5, 2


def start_server(data: str):
    return start_service(data, ADMIN, WORKERS, {"ZKELIG_HOLDER_RATE_PER_MINUTE": "1000000"})


class Stream(threading.Thread):
    """The desk's verifier stream: arrival time of each request's first decision event."""

    def __init__(self, url: str, key: str):
        super().__init__(daemon=True)
        self.url, self.key, self.arrived, self.ready = url, key, {}, threading.Event()

    def run(self) -> None:
        try:
            self._read()
        except httpx.HTTPError:  # the service stopped at the end of the run
            pass

    def _read(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}"}
        with httpx.stream(
            "GET", self.url + "/v1/verifiers/desk-bench/events", headers=headers, timeout=httpx.Timeout(10, read=None)
        ) as response:
            self.ready.set()
            for line in response.iter_lines():
                if line.startswith("data:"):
                    event = json.loads(line[5:])
                    self.arrived.setdefault(event["request_id"], time.perf_counter())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    keys = ensure_keys()
    with tempfile.TemporaryDirectory() as data:
        proc, url = start_server(data)
        try:
            admin = ZkeligClient(url, ADMIN)
            registry = admin.enrol_issuer("registry")
            key = admin.create_key("verifier", "desk-bench")
            desk = admin.with_key(key)
            secret = cr.new_secret()
            issued = registry.issue(
                "registry",
                [
                    {
                        "schema": "person.v1",
                        "id_commitment": str(cr.id_commitment(secret)),
                        "attributes": {"birthdate": dt.date(1990, 1, 1), "country": 1},
                        "expiry": dt.date.today() + dt.timedelta(days=30),
                    }
                ],
            )
            credential = cr.Credential.from_json(issued["credentials"][0]["credential"])
            phone = ZkeligClient(url)

            def ask() -> str:
                return desk.create_request(
                    "desk-bench", f"desk-bench/{os.urandom(6).hex()}", ["registry"], "age_at_least", years=18
                )["request_id"]

            accepted_ids = [ask() for _ in range(N_ACCEPTED)]
            proven = [(rid, phone.prove_on_device(credential, secret, rid, keys.pk)) for rid in accepted_ids]
            refused_ids = [ask() for _ in range(N_EVENTS)]
            stream = Stream(url, key)
            stream.start()
            stream.ready.wait(30)
            time.sleep(0.5)
            sent: dict[str, float] = {}

            def submit(item: tuple[str, dict]) -> None:
                rid, presentation = item
                with httpx.Client(base_url=url, timeout=60) as http:
                    sent[rid] = time.perf_counter()
                    http.post(f"/v1/requests/{rid}/presentations", json={"presentation": presentation})

            for item in proven:  # one at a time: the latency of an accepted answer, not of a queue
                submit(item)
                time.sleep(0.3)
            started = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as pool:
                list(pool.map(submit, [(rid, proven[0][1]) for rid in refused_ids]))
            deadline = time.time() + 30
            while len([r for r in refused_ids if r in stream.arrived]) < N_EVENTS and time.time() < deadline:
                time.sleep(0.05)
            delivered = [r for r in refused_ids if r in stream.arrived]
            elapsed = max(stream.arrived[r] for r in delivered) - started
            refused_lat = [stream.arrived[r] - sent[r] for r in delivered]
            accepted_lat = [stream.arrived[r] - sent[r] for r in accepted_ids if r in stream.arrived]
        finally:
            proc.terminate()
            proc.wait(30)
    rate = len(delivered) / elapsed
    rows = [
        (
            f"events delivered ({len(delivered)}/{N_EVENTS}, {CLIENTS} clients)",
            elapsed / len(delivered),
            "-",
            None,
            f"{rate:,.0f} events/s",
        ),
        ("submission → desk event, p50", statistics.median(refused_lat), "-", None, "refused (request_mismatch)"),
        ("submission → desk event, p99", percentile(refused_lat, 0.99), "-", None, "refused, under load"),
        (
            "accepted proof → desk event, p50",
            statistics.median(accepted_lat),
            "-",
            None,
            f"{len(accepted_lat)} real proofs, one at a time",
        ),
        ("accepted proof → desk event, max", max(accepted_lat), "-", None, "goal: < 2 s"),
    ]
    load = os.getloadavg()[0]
    report(f"Live results: {WORKERS} workers, SQLite, {os.cpu_count()} CPUs, load average {load:.1f}", rows)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
