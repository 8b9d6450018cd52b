"""Verifications over HTTP: the service (`zkelig serve`, its own process, SQLite) on loopback,
loaded by concurrent clients each submitting a distinct fresh presentation.

Every submission is a full verification: request lookup and single use, root and public-input
checks, Groth16 (batched when submissions queue up), the nullifier's atomic ledger append and a
signed receipt. Presentations are proven beforehand (each answers its own request), so the
load measures the verifier side only.

Two runs: closed loop (C clients submitting back to back: the throughput ceiling) and open loop
(submissions sent at a fixed rate whatever the replies: the latency at that load). The service
runs two worker processes (`zkelig serve --workers 2`), each a replica of the SQLite ledger.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
from _common import ROOT, report

from circuits import credentials as cr
from circuits.requests import prove_request
from service.client import ZkeligClient
from service.keys import ensure_keys

ADMIN = secrets.token_urlsafe(32)  # the service refuses admin keys under 128 bits
N_CLOSED, N_OPEN, RATE, CLIENTS, WORKERS = 400, 600, 300.0, 32, 2


def start_server(data: str) -> tuple[subprocess.Popen, str]:
    port = 18000 + os.getpid() % 1000
    env = {**os.environ, "ZKELIG_ADMIN_KEY": ADMIN, "ZKELIG_REQUEST_TTL_S": "86400"}  # proving them all takes minutes
    proc = subprocess.Popen([sys.executable, "-m", "service", "serve", "--init", "--port", str(port),
                             "--data-dir", data,
                             "--workers", str(WORKERS)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(url + "/v1/ledger/key", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("service did not start")


def presentations(url: str, n: int, tag: str) -> tuple[ZkeligClient, list[tuple[str, dict]]]:
    keys = ensure_keys()
    admin = ZkeligClient(url, ADMIN)
    issuer = admin.enrol_issuer(f"registry-{tag}")
    verifier = admin.with_key(admin.create_key("verifier", "hospital-a"))
    secret = cr.new_secret()
    issued = issuer.issue(f"registry-{tag}", [{"schema": "person.v1", "id_commitment": str(cr.id_commitment(secret)),
                                               "attributes": {"birthdate": dt.date(1980, 1, 1), "country": 1},
                                               "expiry": dt.date.today() + dt.timedelta(days=30)}])["credentials"][0]
    credential = cr.Credential.from_json(issued["credential"])
    path = verifier.path(credential.issuer, credential.leaf_index)
    out = []
    for i in range(n):
        body = verifier.create_request("hospital-a", f"hospital-a/bench-{tag}/visit-{i}", [credential.issuer], "age_at_least", years=18)
        request = verifier.request(body["request_id"])
        out.append((body["request_id"], prove_request(credential, secret, path, request, keys.pk).to_json()))
        if i % 50 == 49:
            print(f"  proved {i + 1}/{n} presentations", flush=True)
    return verifier, out


def submit_all(verifier: ZkeligClient, items, clients: int, rate: float | None) -> tuple[float, list[float]]:
    """Submit every (request id, presentation) once; returns elapsed seconds and per-request latencies.

    The load generator shares the machine with the service, so it is kept light: http.client with
    one keep-alive connection per client thread and bodies encoded before the clock starts."""
    url = urlsplit(str(verifier.http.base_url))
    headers = {"Authorization": verifier.http.headers["Authorization"], "Content-Type": "application/json"}
    bodies = [(f"/v1/verifiers/hospital-a/requests/{rid}/presentations", json.dumps({"presentation": p}).encode())
              for rid, p in items]
    latencies: list[float] = []
    lock = threading.Lock()
    local = threading.local()

    def one(item):
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        start = time.perf_counter()
        local.conn.request("POST", item[0], body=item[1], headers=headers)
        response = local.conn.getresponse()
        body = response.read()
        took = time.perf_counter() - start
        assert response.status == 200 and b'"decision":"accepted"' in body, body[:300]
        with lock:
            latencies.append(took)

    begin = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        futures = []
        for k, item in enumerate(bodies):
            if rate is not None:
                delay = begin + k / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            futures.append(pool.submit(one, item))
        for f in futures:
            f.result()
    return time.perf_counter() - begin, latencies


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        proc, url = start_server(data)
        try:
            print(f"proving {N_CLOSED + N_OPEN} presentations first (each answers its own request)…", flush=True)
            verifier, closed = presentations(url, N_CLOSED, "closed")
            _, opened = presentations(url, N_OPEN, "open")
            elapsed, lat = submit_all(verifier, closed, CLIENTS, None)
            rows = [(f"closed loop, {CLIENTS} clients: {N_CLOSED / elapsed:,.0f} verifications/s", statistics.median(lat), "", None,
                     f"p50 {statistics.median(lat) * 1e3:.1f} ms, p99 {pct(lat, 99) * 1e3:.1f} ms")]
            elapsed, lat = submit_all(verifier, opened, CLIENTS * 2, RATE)
            rows.append((f"open loop at {RATE:.0f}/s offered: {N_OPEN / elapsed:,.0f} verifications/s served",
                         statistics.median(lat), "", None,
                         f"p50 {statistics.median(lat) * 1e3:.1f} ms, p99 {pct(lat, 99) * 1e3:.1f} ms"))
        finally:
            proc.terminate()
            proc.wait(30)
    report("Service: verifications over HTTP on loopback", rows)


if __name__ == "__main__":
    main()
