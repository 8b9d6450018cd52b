"""The service as deployed: `zkelig serve --workers 2` in its own process (issue 13, items 1-4).

Every worker answers from the latest committed state; scopes are owned; limits hold whatever
X-Forwarded-For says; server-side proving is bounded; API keys can be listed and revoked and a
revocation holds on every worker; the admin key must be strong. Each HTTP call that matters is
made on a fresh connection, so consecutive calls land on either worker.
"""

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from served import serving

from service.client import ApiAuditSource, ApiError, ZkeligClient
from service.ledger import IssuerKey
from service.ledger.audit import audit

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "zk-deployed-test-admin-key-9f3Kq7Zx2LmP"
PASS = "a sufficiently long passphrase"
TODAY = dt.date.today()


@pytest.fixture(scope="module")
def deployed(tmp_path_factory, query_keys):
    """`zkelig serve --workers 2` on 127.0.0.1 with a fresh SQLite ledger; its log in a file.

    Per-IP limits are set high so that what the tests meet are the per-wallet limit and the
    proving queue (one admitted proof per worker)."""
    data = tmp_path_factory.mktemp("deployed")
    log = data.parent / f"{data.name}.log"
    env = {
        "ZKELIG_ADMIN_KEY": ADMIN,
        "ZKELIG_KEYS": str(query_keys.directory.parent),
        "ZKELIG_HOLDER_RATE_PER_MINUTE": "100000",
        "ZKELIG_PROVE_QUEUE": "1",
        "FORWARDED_ALLOW_IPS": None,
    }
    with serving("--init", "--data-dir", str(data), env=env, log=log, workers=2) as (_, url):
        yield url, log


def fresh(url: str, key: str | None = None, issuer_key: IssuerKey | None = None) -> ZkeligClient:
    """A client on a new connection: each call may be answered by either worker."""
    no_reuse = httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))
    return ZkeligClient(url, key, timeout=300, transport=no_reuse, issuer_key=issuer_key)


@pytest.fixture(scope="module")
def world(deployed):
    url, _ = deployed
    admin = fresh(url, ADMIN)
    issuer_key = IssuerKey.generate()  # issuances are signed by the issuer, not by its API key
    registry_key = admin.register_issuer("registry", issuer_key.public_key)["api_key"]
    hospital_key = admin.create_key("verifier", "hospital-a")
    other_key = admin.create_key("verifier", "hospital-b")
    return dict(
        url=url,
        admin=admin,
        registry_key=registry_key,
        issuer_key=issuer_key,
        hospital_key=hospital_key,
        other_key=other_key,
    )


def _registry(w) -> ZkeligClient:
    """The registry issuer on a new connection, holding its signing key."""
    return fresh(w["url"], w["registry_key"], w["issuer_key"])


def _person(commitment: str, birthdate=dt.date(1980, 2, 3)) -> dict:
    return {
        "schema": "person.v1",
        "id_commitment": commitment,
        "attributes": {"birthdate": birthdate, "country": 250},
        "expiry": TODAY + dt.timedelta(days=999),
    }


def _wallet_with_person(w) -> tuple[dict, str]:
    phone = fresh(w["url"])
    wallet = phone.create_wallet(PASS)
    issued = _registry(w).issue("registry", [_person(wallet["id_commitment"])])["credentials"][0]
    return wallet, fresh(w["url"]).store_credential(wallet["wallet_id"], PASS, issued["credential"])


def _ask(w, scope: str = "hospital-a/visits", years: int = 18, key: str | None = None, verifier="hospital-a") -> str:
    client = fresh(w["url"], key or w["hospital_key"])
    return client.create_request(verifier, scope, ["registry"], "age_at_least", years=years)["request_id"]


# --- 1. every worker answers from the latest committed state ---------------------------------------


def test_audit_over_the_api_20_of_20_while_writes_flow(world):
    """`zkelig audit --url` against both workers while issuances and submissions append: a stale
    worker served fewer entries than its heads cover ("heads are not in increasing size order")
    or heads and proofs from different states.

    Each audit replays the whole ledger and checks a consistency proof per signed head, so the
    writes are metered: three appends run concurrently with each audit (an issuance, or one of two
    accepted submissions), and this test runs first, while the ledger is small."""
    w = world
    wallet, credential_id = _wallet_with_person(w)
    pending = []  # proven first, submitted during the audits
    for i in range(2):
        rid = _ask(w, scope=f"hospital-a/audit-{i}")
        pending.append((rid, fresh(w["url"]).prove_with_wallet(wallet["wallet_id"], PASS, credential_id, rid)))
    go, stop, errors = threading.Semaphore(0), threading.Event(), []

    def write():
        n = 0
        while not stop.is_set():
            if not go.acquire(timeout=0.1):
                continue
            try:
                if pending and n % 10 == 4:
                    rid, presentation = pending.pop()
                    receipt = fresh(w["url"], w["hospital_key"]).submit("hospital-a", rid, presentation)
                    assert receipt["body"]["decision"] == "accepted", receipt
                else:
                    _registry(w).issue("registry", [_person(str(1000 + n))])
            except Exception as err:  # noqa: BLE001 - reported by the test below
                errors.append(repr(err))
                return
            n += 1
            time.sleep(0.05)

    writer = threading.Thread(target=write)
    writer.start()
    key, reports = None, []
    try:
        for _ in range(20):
            go.release(3)
            source = ApiAuditSource(w["url"], fresh(w["url"]))
            key = key or source.public_key()
            reports.append(audit(source, key))
    finally:
        stop.set()
        writer.join(60)
    assert not errors, errors
    assert [r.problem for r in reports] == [None] * 20
    assert reports[-1].size > reports[0].size  # the ledger did grow during the audits
    assert not pending  # the submissions went through while auditing


def test_issue_store_prove_on_fresh_connections_50_of_50(world):
    """The issue's stale-read repro: issue a credential, store it in the wallet, prove with it, each
    step on a new connection. A stale worker answered 404 not_found or 409 unknown_issuer.

    Proving is the costly step, so most rounds ask for an age no one has (150): the worker then
    finds the issuer, the leaf and its path, and only the circuit refuses (422 unsatisfiable);
    every tenth round proves for real and the verifier accepts."""
    w = world
    wallet = fresh(w["url"]).create_wallet(PASS)
    outcomes = []
    for i in range(50):
        issued = _registry(w).issue("registry", [_person(wallet["id_commitment"])])
        credential = issued["credentials"][0]["credential"]
        credential_id = fresh(w["url"]).store_credential(wallet["wallet_id"], PASS, credential)
        real = i % 10 == 0
        rid = _ask(w, scope=f"hospital-a/stale-{i}", years=18 if real else 150)
        try:
            presentation = fresh(w["url"]).prove_with_wallet(wallet["wallet_id"], PASS, credential_id, rid)
            receipt = fresh(w["url"], w["hospital_key"]).submit("hospital-a", rid, presentation)
            outcomes.append(receipt["body"]["decision"] if real else "proved an impossible age")
        except ApiError as err:
            outcomes.append("unsatisfiable" if err.code == "unsatisfiable" and not real else f"{err.status} {err.code}")
    expected = ["accepted" if i % 10 == 0 else "unsatisfiable" for i in range(50)]
    assert outcomes == expected


# --- 2. scopes are owned --------------------------------------------------------------------------


def test_scopes_are_owned(world):
    w = world
    with pytest.raises(ApiError) as err:  # the issue's attack: hospital-b asks in hospital-a's scope
        _ask(w, scope="hospital-a/visits", key=w["other_key"], verifier="hospital-b")
    assert (err.value.status, err.value.code) == (403, "scope_not_owned")
    for scope in ("visits", "hospital-a", "hospital-a/", "hospital-ab/visits", "insurance-enrolment/2026"):
        with pytest.raises(ApiError) as err:
            _ask(w, scope=scope)
        assert err.value.code == "scope_not_owned", scope
    assert _ask(w, scope="hospital-a/x")  # its own namespace

    admin = fresh(w["url"], ADMIN)
    insurer_a, insurer_b, insurer_c = (admin.create_key("verifier", f"insurer-{x}") for x in "abc")
    assert admin.register_scope("insurance-enrolment/2026", ["insurer-b", "insurer-a"]) == {
        "name": "insurance-enrolment/2026",
        "members": ["insurer-a", "insurer-b"],
    }
    assert {"name": "insurance-enrolment/2026", "members": ["insurer-a", "insurer-b"]} in fresh(w["url"]).scopes()
    assert _ask(w, scope="insurance-enrolment/2026", key=insurer_a, verifier="insurer-a")
    assert _ask(w, scope="insurance-enrolment/2026", key=insurer_b, verifier="insurer-b")
    with pytest.raises(ApiError) as err:  # not a member
        _ask(w, scope="insurance-enrolment/2026", key=insurer_c, verifier="insurer-c")
    assert err.value.code == "scope_not_owned"
    with pytest.raises(ApiError) as err:  # a shared scope cannot take over a verifier's namespace
        admin.register_scope("hospital-a/visits", ["hospital-b"])
    assert (err.value.status, err.value.code) == (409, "scope_namespace_taken")
    with pytest.raises(ApiError) as err:  # nor can a verifier be named after a shared scope's namespace
        admin.create_key("verifier", "insurance-enrolment")
    assert (err.value.status, err.value.code) == (409, "scope_namespace_taken")
    with pytest.raises(ApiError) as err:  # only the admin registers scopes
        fresh(w["url"], insurer_a).register_scope("insurance-enrolment/2027", ["insurer-a"])
    assert err.value.status == 403


# --- 3. limits that hold behind proxies -----------------------------------------------------------


def test_spoofed_forwarded_for_does_not_escape_the_wallet_limit(world, deployed):
    """151 passphrase guesses on one wallet, each claiming a new X-Forwarded-For: after a few
    failures every guess is 429 with Retry-After, and so is the right passphrase while the wallet
    backs off. uvicorn trusted no forwarded address (the access log names only the real peer)."""
    w, (_, log) = world, deployed
    wallet, _ = _wallet_with_person(w)
    statuses, retry_after = [], []
    with httpx.Client(base_url=w["url"], timeout=60) as http:
        for i in range(151):
            r = http.post(
                f"/v1/holders/wallets/{wallet['wallet_id']}/open",
                json={"passphrase": f"guess number {i}"},
                headers={"X-Forwarded-For": f"203.0.{i // 250}.{i % 250 + 1}"},
            )
            statuses.append(r.status_code)
            if r.status_code == 429:
                assert r.headers["content-type"] == "application/problem+json" and r.json()["code"] == "rate_limited"
                retry_after.append(int(r.headers["Retry-After"]))
        right = http.post(f"/v1/holders/wallets/{wallet['wallet_id']}/open", json={"passphrase": PASS})
    assert set(statuses) <= {404, 429} and statuses[:5] == [404] * 5
    assert statuses.count(429) >= 140, statuses
    assert all(s >= 1 for s in retry_after)
    assert right.status_code == 429 and int(right.headers["Retry-After"]) >= 1  # still backing off
    assert "203.0.0." not in log.read_text()  # no forwarded address was taken for the client's


def test_the_wallet_opens_again_after_its_back_off(world):
    w = world
    wallet, _ = _wallet_with_person(w)
    url = f"{w['url']}/v1/holders/wallets/{wallet['wallet_id']}/open"
    statuses = [httpx.post(url, json={"passphrase": "wrong passphrase"}, timeout=60).status_code for _ in range(6)]
    assert statuses == [404] * 6  # the free failures, then the one that starts the back-off
    blocked = httpx.post(url, json={"passphrase": PASS}, timeout=60)
    assert blocked.status_code == 429
    time.sleep(int(blocked.headers["Retry-After"]) + 0.2)
    assert httpx.post(url, json={"passphrase": PASS}, timeout=60).status_code == 200
    # the success cleared the count: the next failure is free again
    assert httpx.post(url, json={"passphrase": "wrong passphrase"}, timeout=60).status_code == 404
    assert httpx.post(url, json={"passphrase": PASS}, timeout=60).status_code == 200


def test_proving_flood_gets_503_with_retry_after_and_never_500(world):
    """Twelve concurrent server-side proofs against a queue of one per worker: the excess gets 503
    with Retry-After at once; the admitted ones prove; a refused one can be proven later."""
    w = world
    wallet, credential_id = _wallet_with_person(w)
    rids = [_ask(w, scope=f"hospital-a/flood-{i}") for i in range(12)]

    def prove(rid):
        return httpx.post(
            f"{w['url']}/v1/holders/wallets/{wallet['wallet_id']}/presentations",
            timeout=300,
            json={"passphrase": PASS, "credential_id": credential_id, "request_id": rid},
        )

    with ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(prove, rids))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 503} and 1 <= statuses.count(200) <= 8 and statuses.count(503) >= 4, statuses
    for r in responses:
        if r.status_code == 503:
            assert r.headers["content-type"] == "application/problem+json" and int(r.headers["Retry-After"]) >= 1
    refused = rids[statuses.index(503)]
    presentation = prove(refused).json()["presentation"]  # a 503 recorded nothing: the request is still provable
    receipt = fresh(w["url"], w["hospital_key"]).submit("hospital-a", refused, presentation)
    assert receipt["body"]["decision"] == "accepted"


def test_verification_keeps_answering_while_server_side_proofs_run(world):
    """Server-side proofs run in each worker's prover child at the lowest CPU priority (SCHED_IDLE) with
    one numba thread: while four holders keep both workers' provers busy, verifications still answer
    quickly. In the worker's own process a proof took both cores and verifications queued behind it
    (the service benchmark measured p50 717 ms under a flood; a verification alone takes a few ms).
    The bounds are generous because the test machine is shared."""
    w = world
    wallet, credential_id = _wallet_with_person(w)
    phone = fresh(w["url"])
    asked = [_ask(w, scope=f"hospital-a/verified-in-flood-{i}") for i in range(8)]
    presentations = [(rid, phone.prove_with_wallet(wallet["wallet_id"], PASS, credential_id, rid)) for rid in asked]
    flood_wallet, flood_credential = _wallet_with_person(w)
    statuses: list[int] = []
    stop = threading.Event()

    def flood(k: int) -> None:
        with httpx.Client(base_url=w["url"], timeout=300) as http:
            for n in range(1000):
                if stop.is_set():
                    return
                rid = _ask(w, scope=f"hospital-a/flood-{k}-{n}")
                r = http.post(
                    f"/v1/holders/wallets/{flood_wallet['wallet_id']}/presentations",
                    json={"passphrase": PASS, "credential_id": flood_credential, "request_id": rid},
                )
                statuses.append(r.status_code)
                if r.status_code == 503:  # as the SDK and the wallet page do (the proofs run on idle CPU only)
                    stop.wait(int(r.headers["Retry-After"]))

    flooders = [threading.Thread(target=flood, args=(k,)) for k in range(4)]
    for t in flooders:
        t.start()
    try:
        deadline = time.time() + 120
        while 200 not in statuses and time.time() < deadline:  # proofs are running on both workers
            time.sleep(0.1)
        taken, decisions = [], []
        hospital = fresh(w["url"], w["hospital_key"])
        for rid, presentation in presentations:
            start = time.perf_counter()
            decisions.append(hospital.submit("hospital-a", rid, presentation)["body"]["decision"])
            taken.append(time.perf_counter() - start)
            time.sleep(0.1)
        served_during = statuses.count(200)
    finally:
        stop.set()
        for t in flooders:
            t.join(300)
    assert decisions == ["accepted"] * len(presentations)
    # proofs were in flight throughout: one had finished before the first submission, and the
    # queues were full (503s) while the verifications ran
    assert set(statuses) <= {200, 503} and served_during >= 1 and 503 in statuses, statuses
    assert max(taken) < 2.0 and sorted(taken)[len(taken) // 2] < 0.5, taken


def test_server_side_proving_only_once_and_only_for_open_requests(world):
    w = world
    wallet, credential_id = _wallet_with_person(w)
    phone = fresh(w["url"])
    rid = _ask(w, scope="hospital-a/once")
    presentation = phone.prove_with_wallet(wallet["wallet_id"], PASS, credential_id, rid)
    with pytest.raises(ApiError) as err:  # the same (wallet, request) again, on either worker
        fresh(w["url"]).prove_with_wallet(wallet["wallet_id"], PASS, credential_id, rid)
    assert (err.value.status, err.value.code) == (409, "already_proven")
    assert fresh(w["url"], w["hospital_key"]).submit("hospital-a", rid, presentation)["body"]["decision"] == "accepted"
    other_wallet, other_credential = _wallet_with_person(w)
    with pytest.raises(ApiError) as err:  # answered: refused before any proving
        fresh(w["url"]).prove_with_wallet(other_wallet["wallet_id"], PASS, other_credential, rid)
    assert (err.value.status, err.value.code) == (409, "request_answered")
    with pytest.raises(ApiError) as err:
        fresh(w["url"]).prove_with_wallet(other_wallet["wallet_id"], PASS, other_credential, "no-such-request")
    assert err.value.code == "not_found"


# --- 4. keys have a life cycle --------------------------------------------------------------------


def test_revoked_key_fails_at_once_on_every_worker(world):
    w = world
    admin = fresh(w["url"], ADMIN)
    key = admin.create_key("verifier", "clinic-r")
    for i in range(6):  # used on both workers (fresh connections) before the revocation
        assert _ask(w, scope=f"clinic-r/{i}", key=key, verifier="clinic-r")
    listed = [k for k in admin.list_keys() if k["subject"] == "clinic-r"]
    assert len(listed) == 1 and listed[0]["role"] == "verifier" and listed[0]["created_ms"] > 0
    listing = httpx.get(w["url"] + "/v1/admin/keys", headers={"Authorization": f"Bearer {ADMIN}"}).text
    assert key not in listing and key[3:20] not in listing  # never the key
    fresh(w["url"], ADMIN).revoke_key(listed[0]["id"])
    for i in range(10):  # the very next requests, whichever worker answers
        with pytest.raises(ApiError) as err:
            _ask(w, scope=f"clinic-r/after-{i}", key=key, verifier="clinic-r")
        assert err.value.status == 401
    assert not [k for k in admin.list_keys() if k["subject"] == "clinic-r"]
    with pytest.raises(ApiError) as err:
        admin.revoke_key(listed[0]["id"])
    assert err.value.status == 404


def test_the_api_mints_no_admin_keys(world):
    w = world
    r = httpx.post(w["url"] + "/v1/admin/keys", json={"role": "admin"}, headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    almost = ADMIN[:-1] + ("x" if ADMIN[-1] != "x" else "y")
    assert httpx.get(w["url"] + "/v1/admin/keys", headers={"Authorization": f"Bearer {almost}"}).status_code == 401


def test_admin_keys_management_from_the_cli(world):
    w = world
    env = {**os.environ, "ZKELIG_URL": w["url"], "ZKELIG_API_KEY": ADMIN}

    def zkelig(*args):
        return subprocess.run(
            [sys.executable, "-m", "service", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
        )

    import json

    made = zkelig("admin", "key", "auditor")
    assert made.returncode == 0, made.stderr
    listed = zkelig("admin", "keys", "list")
    assert listed.returncode == 0 and made.stdout and json.loads(made.stdout)["api_key"] not in listed.stdout
    auditors = [k for k in json.loads(listed.stdout) if k["role"] == "auditor"]
    revoked = zkelig("admin", "keys", "revoke", auditors[-1]["id"])
    assert revoked.returncode == 0, revoked.stderr
    assert auditors[-1]["id"] not in zkelig("admin", "keys", "list").stdout
    shared = zkelig("admin", "scope", "register", "pharmacies/2026", "--member", "hospital-a", "--member", "hospital-b")
    assert shared.returncode == 0 and json.loads(shared.stdout)["members"] == ["hospital-a", "hospital-b"]
    assert "pharmacies/2026" in zkelig("admin", "scope", "list").stdout


@pytest.mark.parametrize("weak", ["secret", "a" * 40, "zk_0123456789"])
def test_serve_refuses_a_weak_admin_key(weak, tmp_path):
    env = {**os.environ, "ZKELIG_ADMIN_KEY": weak}
    done = subprocess.run(
        [sys.executable, "-m", "service", "serve", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "128 bits" in lines[0] and "secrets.token_urlsafe(32)" in lines[0], done.stderr
    assert not (tmp_path / "ledger.db").exists()  # refused before anything was created
