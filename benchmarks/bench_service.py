"""Verifications over HTTP: the service (`zkelig serve`, its own process, SQLite) on loopback,
loaded by concurrent clients each submitting a distinct fresh presentation.

Every submission is a full verification: request lookup and single use, root and public-input
checks, Groth16 (batched when submissions queue up), the nullifier's atomic ledger append and a
signed receipt. Presentations are proven beforehand (each answers its own request), so the
load measures the verifier side only.

Three runs: closed loop (C clients submitting back to back: the throughput ceiling), open loop
(submissions sent at a fixed rate whatever the replies: the latency at that load), and the same
open loop while holders flood the server-side prover (`POST /v1/holders/wallets/{id}/presentations`
from FLOOD_CLIENTS threads in another process, each asking for a new request and proving it, back to
back), once with clients that wait as Retry-After says and once with clients that ask again at
once: the bounded proving queue should answer the excess with 503 + Retry-After and leave the
verifiers their latency. The service runs two worker processes (`zkelig serve --workers 2`), each a replica of the
SQLite ledger. `--flood-only` runs only the third.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
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
from _common import ROOT, report, start_service

from circuits import credentials as cr
from circuits.requests import prove_request
from service.client import ZkeligClient
from service.keys import ensure_keys

ADMIN = secrets.token_urlsafe(32)  # the service refuses admin keys under 128 bits
N_CLOSED, N_OPEN, RATE, CLIENTS, WORKERS = 400, 600, 300.0, 32, 2
N_FLOODED, FLOOD_RATE, FLOOD_CLIENTS = 600, 100.0, 8


def start_server(data: str):
    return start_service(data, ADMIN, WORKERS, {
        "ZKELIG_REQUEST_TTL_S": "86400",  # proving them all takes minutes
        "ZKELIG_HOLDER_RATE_PER_MINUTE": "1000000",  # the flood meets the proving queue, not the per-client limit
    })


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
        body = verifier.create_request("hospital-a", f"hospital-a/bench-{tag}/visit-{i}", [credential.issuer],
                                       "age_at_least", years=18)
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


class ProvingFlood:
    """FLOOD_CLIENTS holders asking the service to prove, back to back, until stopped.

    They run in a process of their own, so that their threads do not take the measuring client's
    interpreter lock (which would show up as verification latency). `honour_retry_after`: a
    holder's app told 503 waits as long as Retry-After says, as the SDK and the wallet page do;
    otherwise it asks again at once, as a client would that the per-client rate limit (lifted for
    this benchmark) is there to stop."""

    def __init__(self, url: str, verifier: ZkeligClient, honour_retry_after: bool):
        admin = ZkeligClient(url, ADMIN)
        issuer_name = f"registry-flood-{int(honour_retry_after)}"
        issuer = admin.enrol_issuer(issuer_name)
        phone = ZkeligClient(url)
        wallet = phone.create_wallet("flood passphrase")
        issued = issuer.issue(issuer_name, [{"schema": "person.v1", "id_commitment": wallet["id_commitment"],
                                             "attributes": {"birthdate": dt.date(1980, 1, 1), "country": 1},
                                             "expiry": dt.date.today() + dt.timedelta(days=30)}])["credentials"][0]
        credential_id = phone.store_credential(wallet["wallet_id"], "flood passphrase", issued["credential"])
        self.config = {"url": url, "verifier_key": verifier.http.headers["Authorization"].split(" ", 1)[1],
                       "issuer": issuer_name, "wallet_id": wallet["wallet_id"], "credential_id": credential_id,
                       "honour": honour_retry_after}
        self.statuses: list[int] = []

    def __enter__(self):
        self._proc = subprocess.Popen([sys.executable, __file__, "--flood-process"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self._proc.stdin.write(json.dumps(self.config) + "\n")
        self._proc.stdin.flush()
        assert self._proc.stdout.readline().strip() == "started"
        time.sleep(2.0)  # the queues are full before the measurement starts
        return self

    def __exit__(self, *exc):
        out, _ = self._proc.communicate(timeout=600)  # closes its input: the flood stops and reports
        self.statuses = json.loads(out)


def flood_process() -> None:
    """The flood's own process: reads its configuration from stdin, floods until stdin closes,
    prints the status of every answer as JSON."""
    config = json.loads(sys.stdin.readline())
    verifier = ZkeligClient(config["url"], config["verifier_key"])
    statuses: list[int] = []
    stop = threading.Event()

    def client(k: int) -> None:
        with httpx.Client(base_url=config["url"], timeout=300) as http:
            n = 0
            while not stop.is_set():
                rid = verifier.create_request("hospital-a", f"hospital-a/flood-{config['honour']:d}-{k}-{n}",
                                              [config["issuer"]], "age_at_least", years=18)["request_id"]
                r = http.post(f"/v1/holders/wallets/{config['wallet_id']}/presentations",
                              json={"passphrase": "flood passphrase", "credential_id": config["credential_id"],
                                    "request_id": rid})
                assert r.status_code in (200, 503), r.text[:300]
                statuses.append(r.status_code)
                n += 1
                if r.status_code == 503:
                    assert int(r.headers["Retry-After"]) >= 1
                    if config["honour"]:
                        stop.wait(int(r.headers["Retry-After"]))

    threads = [threading.Thread(target=client, args=(k,)) for k in range(FLOOD_CLIENTS)]
    for t in threads:
        t.start()
    print("started", flush=True)
    sys.stdin.read()
    stop.set()
    for t in threads:
        t.join(300)
    print(json.dumps(statuses), flush=True)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main(flood_only: bool = False) -> None:
    n_closed, n_open, n_flooded = (0, 0, N_FLOODED) if flood_only else (N_CLOSED, N_OPEN, N_FLOODED)
    rows = []
    with tempfile.TemporaryDirectory() as data:
        proc, url = start_server(data)
        try:
            print(f"proving {n_closed + n_open + 2 * n_flooded} presentations first (each answers its own request)…",
                  flush=True)
            verifier, honouring = presentations(url, n_flooded, "honouring")
            _, ignoring = presentations(url, n_flooded, "ignoring")
            flooded = {True: honouring, False: ignoring}
            if not flood_only:
                _, closed = presentations(url, n_closed, "closed")
                _, opened = presentations(url, n_open, "open")
                elapsed, lat = submit_all(verifier, closed, CLIENTS, None)
                rows.append((f"closed loop, {CLIENTS} clients: {n_closed / elapsed:,.0f} verifications/s",
                             statistics.median(lat), "", None,
                             f"p50 {statistics.median(lat) * 1e3:.1f} ms, p99 {pct(lat, 99) * 1e3:.1f} ms"))
                elapsed, lat = submit_all(verifier, opened, CLIENTS * 2, RATE)
                rows.append((f"open loop at {RATE:.0f}/s offered: {n_open / elapsed:,.0f} verifications/s served",
                             statistics.median(lat), "", None,
                             f"p50 {statistics.median(lat) * 1e3:.1f} ms, p99 {pct(lat, 99) * 1e3:.1f} ms"))
            for honour in (True, False):
                with ProvingFlood(url, verifier, honour) as flood:
                    elapsed, lat = submit_all(verifier, flooded[honour], CLIENTS * 2, FLOOD_RATE)
                served, busy = flood.statuses.count(200), flood.statuses.count(503)
                who = "honouring Retry-After" if honour else "ignoring Retry-After (the per-client limit lifted)"
                rows.append((f"open loop at {FLOOD_RATE:.0f}/s, proving flood {who}", statistics.median(lat), "",
                             None, f"p50 {statistics.median(lat) * 1e3:.1f} ms, p99 {pct(lat, 99) * 1e3:.1f} ms; "
                             f"{FLOOD_CLIENTS} flooding clients: {served} proofs served, {busy} refused 503 "
                             f"in {elapsed:.1f} s"))
        finally:
            proc.terminate()
            proc.wait(30)
    report("Service: verifications over HTTP on loopback", rows)


if __name__ == "__main__":
    if "--flood-process" in sys.argv[1:]:
        flood_process()
    else:
        main(flood_only="--flood-only" in sys.argv[1:])
