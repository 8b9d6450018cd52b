"""The HTTP service: end to end against a real uvicorn process, roles, problem+json errors, replays,
rate limits, encryption at rest, logs free of personal data, and schemathesis over the OpenAPI schema."""

import base64
import dataclasses
import datetime as dt
import json
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from served import serving

from circuits import credentials as cr
from service.app import create_app
from service.client import ApiAuditSource, ApiError, ZkeligClient
from service.ledger import IssuerKey
from service.ledger.audit import audit
from service.settings import Settings
from service.verification import verify_receipt_signature

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "zk_test_admin_key_0123456789"
TODAY = dt.date.today()
PASS = "a sufficiently long passphrase"


@pytest.fixture(scope="module")
def live(tmp_path_factory, query_keys):
    """`zkelig serve` in its own process on 127.0.0.1, with a fresh SQLite ledger."""
    data = tmp_path_factory.mktemp("service")
    env = {"ZKELIG_ADMIN_KEY": ADMIN, "ZKELIG_KEYS": str(query_keys.directory.parent)}
    with serving("--init", "--data-dir", str(data), env=env, log=data.parent / f"{data.name}.log", workers=1) as (
        _,
        url,
    ):
        yield url, data


@pytest.fixture(scope="module")
def world(live):
    """Issuers, verifiers and one holder with a person and an insurance credential."""
    url, _ = live
    admin = ZkeligClient(url, ADMIN)
    registry = admin.enrol_issuer("registry")
    insurer = admin.enrol_issuer("insurer-a")
    hospital = admin.with_key(admin.create_key("verifier", "hospital-a"))
    other = admin.with_key(admin.create_key("verifier", "hospital-b"))
    phone = ZkeligClient(url)
    wallet = phone.create_wallet(PASS)
    person = registry.issue(
        "registry",
        [
            {
                "schema": "person.v1",
                "id_commitment": wallet["id_commitment"],
                "attributes": {"birthdate": dt.date(1980, 2, 3), "country": 250},
                "expiry": TODAY + dt.timedelta(days=999),
            }
        ],
    )["credentials"][0]
    person_id = phone.store_credential(wallet["wallet_id"], PASS, person["credential"])
    return dict(
        url=url,
        admin=admin,
        registry=registry,
        insurer=insurer,
        hospital=hospital,
        other=other,
        phone=phone,
        wallet=wallet,
        person_id=person_id,
        person=person,
    )


def ask_age(verifier, name, scope="hospital-a/visits"):
    return verifier.create_request(name, scope, ["registry"], "age_at_least", years=18)["request_id"]


def test_end_to_end_over_http(world):
    w = world
    rid = ask_age(w["hospital"], "hospital-a")
    presentation = w["phone"].prove_with_wallet(w["wallet"]["wallet_id"], PASS, w["person_id"], rid)
    receipt = w["hospital"].submit("hospital-a", rid, presentation)
    assert receipt["body"]["decision"] == "accepted", receipt
    key = base64.b64decode(w["phone"].ledger_key()["public_key"])
    verify_receipt_signature(receipt, key)
    nullifier = int(receipt["body"]["nullifier"])
    status = w["phone"].nullifier("hospital-a/visits", nullifier)
    assert status["used"] and status["log_index"] == receipt["body"]["log_index"]
    from service.ledger import Receipt

    entry = Receipt.from_json(w["phone"].receipt(receipt["body"]["log_index"])).verify(key)
    assert entry.nullifier == nullifier and entry.verifier == "hospital-a"

    def values(obj):
        if isinstance(obj, dict):
            return {v for x in obj.values() for v in values(x)}
        return {v for x in obj for v in values(x)} if isinstance(obj, list) else {str(obj)}

    carried = values(receipt)
    for attribute in ("1980-02-03", str(cr.encode_date(dt.date(1980, 2, 3))), "250"):
        assert attribute not in carried
    report = audit(ApiAuditSource(w["url"]), key)
    assert report.ok and report.kinds["NULLIFIER"] >= 1


def test_replays_to_another_challenge_or_scope_are_refused(world):
    w = world
    rid = ask_age(w["hospital"], "hospital-a", scope="hospital-a/replay-test")
    presentation = w["phone"].prove_with_wallet(w["wallet"]["wallet_id"], PASS, w["person_id"], rid)
    again = ask_age(w["hospital"], "hospital-a", scope="hospital-a/replay-test")  # same scope, new challenge
    assert w["hospital"].submit("hospital-a", again, presentation)["body"]["reason"] == "request_mismatch"
    elsewhere = ask_age(w["other"], "hospital-b", scope="hospital-b/visits")  # another verifier's scope
    assert w["other"].submit("hospital-b", elsewhere, presentation)["body"]["reason"] == "request_mismatch"
    assert w["hospital"].submit("hospital-a", rid, presentation)["body"]["decision"] == "accepted"
    assert w["hospital"].submit("hospital-a", rid, presentation)["body"]["reason"] == "request_already_answered"


def test_roles_are_enforced(world):
    w, url = world, world["url"]
    signing = IssuerKey.generate()  # a key of its own: the service must refuse on the API key alone
    anonymous = ZkeligClient(url, issuer_key=signing)
    hospital = ZkeligClient(url, w["hospital"].http.headers["Authorization"].split()[1], issuer_key=signing)
    order = [
        {
            "schema": "person.v1",
            "id_commitment": "1",
            "attributes": {"birthdate": dt.date(2000, 1, 1), "country": 1},
            "expiry": TODAY,
        }
    ]
    cases = [
        (lambda: anonymous.issue("registry", order), 401),
        (lambda: ZkeligClient(url, "zk_not_a_key", issuer_key=signing).issue("registry", order), 401),
        (lambda: hospital.issue("registry", order), 403),
        (lambda: w["insurer"].issue("registry", order), 403),  # an issuer acts only for itself
        (lambda: w["insurer"].revoke("registry", 0), 403),
        (lambda: w["registry"].create_request("hospital-a", "s", ["registry"], "age_at_least", years=18), 403),
        (lambda: w["hospital"].create_request("hospital-b", "s", ["registry"], "age_at_least", years=18), 403),
        (lambda: w["hospital"].create_key("admin"), 403),
        (lambda: anonymous.statistics(), 401),
        (lambda: w["hospital"].statistics(), 403),
    ]
    for call, status in cases:
        with pytest.raises(ApiError) as err:
            call()
        assert err.value.status == status
    assert w["admin"].with_key(w["admin"].create_key("auditor")).statistics()["size"] > 0


def _raw(url, method, path, key=None, headers=None, **kwargs):
    headers = {**(headers or {}), **({"Authorization": f"Bearer {key}"} if key else {})}
    return httpx.request(method, url + path, headers=headers, timeout=60, **kwargs)


def test_malformed_input_gets_problem_json(world):
    w, url = world, world["url"]
    rid = ask_age(w["hospital"], "hospital-a", scope="hospital-a/malformed")
    good = w["phone"].prove_with_wallet(w["wallet"]["wallet_id"], PASS, w["person_id"], rid)
    submit = f"/v1/verifiers/hospital-a/requests/{rid}/presentations"
    hospital_key = w["hospital"].http.headers["Authorization"].split()[1]
    off_curve = {**good, "proof": {**good["proof"], "pi_a": ["1", "3", "1"]}}
    bad_g2 = {**good, "proof": {**good["proof"], "pi_b": [["1", "2"], ["3", "4"], ["1", "0"]]}}
    too_big = {**good, "public_signals": [str(cr.R)] + good["public_signals"][1:]}
    cases = [
        ("POST", submit, {"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 422),
        ("POST", submit, {"json": {"presentation": off_curve}}, 400),
        ("POST", submit, {"json": {"presentation": bad_g2}}, 400),
        ("POST", submit, {"json": {"presentation": too_big}}, 400),
        ("POST", submit, {"json": {"presentation": {**good, "proof": {"pi_a": ["1"]}}}}, 422),
        ("POST", submit, {"json": {"presentation": good, "extra": 1}}, 422),
        ("POST", submit, {"content": b"x" * 300_000, "headers": {"Content-Type": "application/json"}}, 413),
        (
            "POST",
            "/v1/verifiers/hospital-a/requests",
            {"json": {"scope": "hospital-a/s", "issuers": ["registry"], "preset": "age_at_least"}},
            422,
        ),
        (
            "POST",
            "/v1/verifiers/hospital-a/requests",
            {
                "json": {
                    "scope": "hospital-a/s",
                    "issuers": ["registry"],
                    "schema": "person.v1",
                    "queries": [{"slot": 0, "op": "LT", "values": [2**64]}],
                }
            },
            422,
        ),
        (
            "POST",
            "/v1/verifiers/hospital-a/requests",
            {"json": {"scope": "hospital-a/s", "issuers": ["registry"], "schema": "nope.v1"}},
            400,
        ),
        ("GET", "/v1/ledger/proofs/inclusion?index=5&size=999999", {}, 400),
        ("GET", "/v1/ledger/entries?start=10&end=5", {}, 400),
        ("GET", "/v1/keys/other/verification_key.json", {}, 404),
    ]
    for method, path, kwargs, status in cases:
        response = _raw(url, method, path, hospital_key, **kwargs)
        assert response.status_code == status, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == status and problem["code"] and "Traceback" not in response.text
    # bad input lost nothing: the request is still answerable
    assert w["hospital"].submit("hospital-a", rid, good)["body"]["decision"] == "accepted"
    admin_cases = [
        ({"name": "Bad Name", "public_key": base64.b64encode(bytes(32)).decode()}, 422),
        ({"name": "issuer-x", "public_key": base64.b64encode(bytes(33)).decode()}, 400),
        ({"name": "registry", "public_key": base64.b64encode(bytes(32)).decode()}, 409),
    ]
    for body, status in admin_cases:
        response = _raw(url, "POST", "/v1/issuers", ADMIN, json=body)
        assert response.status_code == status and response.headers["content-type"] == "application/problem+json"


def test_revoked_and_expired(world):
    w = world
    wallet = w["phone"].create_wallet(PASS)
    issued = w["insurer"].issue(
        "insurer-a",
        [
            {
                "schema": "insurance.v1",
                "id_commitment": wallet["id_commitment"],
                "attributes": {
                    "plan": 1,
                    "insured_from": TODAY - dt.timedelta(days=9),
                    "insured_until": TODAY + dt.timedelta(days=9),
                    "annual_cap_cents": 10,
                    "region": 1,
                },
                "expiry": TODAY + dt.timedelta(days=9),
            }
        ],
    )["credentials"][0]
    cid = w["phone"].store_credential(wallet["wallet_id"], PASS, issued["credential"])
    rid = w["hospital"].create_request("hospital-a", "hospital-a/coverage", ["insurer-a"], "insured_on")["request_id"]
    presentation = w["phone"].prove_with_wallet(wallet["wallet_id"], PASS, cid, rid)
    w["insurer"].revoke("insurer-a", issued["leaf_index"])
    assert w["hospital"].submit("hospital-a", rid, presentation)["body"]["reason"] == "root_not_accepted"
    rid = w["hospital"].create_request("hospital-a", "hospital-a/coverage", ["insurer-a"], "insured_on")["request_id"]
    with pytest.raises(ApiError) as err:
        w["phone"].prove_with_wallet(wallet["wallet_id"], PASS, cid, rid)
    assert err.value.code == "bad_revocation"
    rid = w["hospital"].create_request(
        "hospital-a", "hospital-a/coverage", ["insurer-a"], "insured_on", day=TODAY + dt.timedelta(days=30)
    )["request_id"]
    with pytest.raises(ApiError) as err:  # a query that does not hold has no proof
        w["phone"].prove_with_wallet(w["wallet"]["wallet_id"], PASS, w["person_id"], rid)
    assert err.value.code in ("unsatisfiable", "bad_revocation")


def test_wallets_are_encrypted_at_rest(world, live):
    _, data = live
    w = world
    opened = w["phone"].open_wallet(w["wallet"]["wallet_id"], PASS)
    assert opened["id_commitment"] == w["wallet"]["id_commitment"] and w["person_id"] in opened["credentials"]
    with pytest.raises(ApiError) as err:
        w["phone"].open_wallet(w["wallet"]["wallet_id"], PASS + "!")
    assert err.value.code == "wallet_locked"
    db = sqlite3.connect(data / "ledger.db")
    blob = db.execute("SELECT blob FROM wallets WHERE id = ?", (w["wallet"]["wallet_id"],)).fetchone()[0]
    credential = w["person"]["credential"]
    for plain in (credential["nonce"], credential["slots"][0], w["wallet"]["id_commitment"], "secret"):
        assert plain.encode() not in blob
    keys = [row[0] for row in db.execute("SELECT key_hash FROM api_keys")]
    assert keys and all(len(k) == 32 for k in keys)  # only hashes of API keys are stored


def test_holder_endpoints_are_rate_limited(tmp_path, query_keys):
    app = create_app(
        Settings(
            data_dir=tmp_path,
            admin_key=ADMIN,
            keys_dir=query_keys.directory.parent,
            holder_rate_per_minute=60,
            holder_burst=3,
        )
    )
    with TestClient(app) as client:
        statuses = [
            client.post("/v1/holders/wallets/nope/open", json={"passphrase": PASS}).status_code for _ in range(6)
        ]
        assert statuses[:3] == [404] * 3 and statuses[3:] == [429] * 3
        problem = client.post("/v1/holders/wallets/nope/open", json={"passphrase": PASS})
        assert (
            problem.headers["content-type"] == "application/problem+json" and problem.json()["code"] == "rate_limited"
        )


def test_demo_logs_no_personal_attribute(tmp_path, query_keys, monkeypatch, capsys):
    """Capture every log record during the whole demo; none holds one of Alice's attributes."""
    from service import demo

    monkeypatch.setenv("ZKELIG_KEYS", str(query_keys.directory.parent))
    records: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Capture(level=logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    monkeypatch.setattr(demo, "LOG_LEVEL", "debug")
    try:
        assert demo.run_demo(tmp_path) == 0
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert any("POST /v1/verifiers" in r for r in records)  # access logs were captured
    secrets_ = [
        str(demo.ALICE_CAP_CENTS),
        str(demo.ALICE_PLAN),
        str(demo.ALICE_REGION),
        demo.ALICE_BIRTHDATE.isoformat(),
        str(cr.encode_date(demo.ALICE_BIRTHDATE)),
        demo.PASSPHRASE,
    ]
    text = "\n".join(records) + capsys.readouterr().out
    for value in secrets_:
        assert value not in text, value


@pytest.fixture(scope="module")
def asgi_app(tmp_path_factory, query_keys):
    app = create_app(
        Settings(
            data_dir=tmp_path_factory.mktemp("fuzz"),
            admin_key=ADMIN,
            keys_dir=query_keys.directory.parent,
            holder_rate_per_minute=100_000,
            holder_burst=100_000,
        )
    )
    with TestClient(app):
        yield app


def test_openapi_fuzzing_never_yields_a_server_error(asgi_app):
    """schemathesis draws requests from every operation of the OpenAPI schema (bounded): no 5xx,
    and every error is problem+json."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", asgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    operations = [op for op in operations if not op.path.endswith("/events")]  # event streams never end
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case):
            response = case.call(headers={"Authorization": f"Bearer {ADMIN}"})
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            if response.status_code >= 400:
                content_type = response.headers.get("content-type")
                content_type = content_type[0] if isinstance(content_type, list) else content_type
                assert content_type == "application/problem+json", (case.method, case.path)

        call()


def test_openapi_documents_every_route(asgi_app):
    spec = asgi_app.openapi()
    paths = spec["paths"]
    for path in (
        "/v1/issuers/{issuer}/credentials",
        "/v1/verifiers/{verifier}/requests/{request_id}/presentations",
        "/v1/holders/wallets/{wallet_id}/presentations",
        "/v1/ledger/proofs/consistency",
        "/v1/keys",
    ):
        assert path in paths
    assert "Problem" in spec["components"]["schemas"]
    assert dataclasses.is_dataclass(Settings)


def test_cli_helpers_talk_to_the_service(world, tmp_path):
    w = world

    def zkelig(*args, key):
        env = {**os.environ, "ZKELIG_URL": w["url"], "ZKELIG_API_KEY": key}
        return subprocess.run(
            [sys.executable, "-m", "service", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
        )

    import json

    made = zkelig("admin", "key", "verifier", "pharmacy-1", key=ADMIN)
    assert made.returncode == 0, made.stderr
    pharmacy_key = json.loads(made.stdout)["api_key"]
    asked = zkelig(
        "verifier",
        "request",
        "pharmacy-1",
        "pharmacy-1/2026",
        "--issuer",
        "registry",
        "--years",
        "18",
        key=pharmacy_key,
    )
    assert asked.returncode == 0, asked.stderr
    request_id = json.loads(asked.stdout)["request_id"]
    presentation = w["phone"].prove_with_wallet(w["wallet"]["wallet_id"], PASS, w["person_id"], request_id)
    (tmp_path / "p.json").write_text(json.dumps(presentation))
    submitted = zkelig("verifier", "submit", "pharmacy-1", request_id, str(tmp_path / "p.json"), key=pharmacy_key)
    assert submitted.returncode == 0 and json.loads(submitted.stdout)["body"]["decision"] == "accepted"
    again = zkelig("verifier", "submit", "pharmacy-1", request_id, str(tmp_path / "p.json"), key=pharmacy_key)
    assert again.returncode == 1 and json.loads(again.stdout)["body"]["decision"] == "refused"  # the receipt, still
    assert again.stderr == "refused: request_already_answered\n"
    made = zkelig("issuer", "keygen", str(tmp_path / "issuer.pem"), key="")
    assert made.returncode == 0 and len(base64.b64decode(made.stdout)) == 32
    assert (tmp_path / "issuer.pem").stat().st_mode & 0o777 == 0o600
    twice = zkelig("issuer", "keygen", str(tmp_path / "issuer.pem"), key="")
    assert twice.returncode == 2 and "already exists" in twice.stderr and "Traceback" not in twice.stderr
    refused = zkelig("issuer", "revoke", "registry", "0", "--key-file", str(tmp_path / "issuer.pem"), key=pharmacy_key)
    assert refused.returncode == 2 and refused.stderr.startswith("error: forbidden")
    assert "Traceback" not in refused.stderr
    assert refused.stderr.count("\n") == 1


def test_issuance_needs_the_issuers_signature(world):
    """Issuance, revocation and key rotation over HTTP carry the issuer's signature; the audit checks them."""
    w, url = world, world["url"]
    insurer_key = w["insurer"].http.headers["Authorization"].split()[1]
    state = w["insurer"].frontier("insurer-a")
    forged = IssuerKey.generate().sign_issuance(state["origin"], "insurer-a", state["frontier"], [12345])
    body = {
        "first_leaf": forged.first_leaf,
        "leaves": ["12345"],
        "root": str(forged.root),
        "signature": base64.b64encode(forged.signature).decode(),
    }
    response = _raw(url, "POST", "/v1/issuers/insurer-a/credentials", insurer_key, json=body)
    assert response.status_code == 403 and response.json()["code"] == "bad_statement", response.text
    assert response.headers["content-type"] == "application/problem+json"
    old = w["insurer"].issuer_key
    w["insurer"].rotate_issuer_key("insurer-a", IssuerKey.generate())
    stale = ZkeligClient(url, insurer_key, issuer_key=old)  # the replaced key signs no more
    order = [
        {
            "schema": "insurance.v1",
            "id_commitment": "7",
            "expiry": TODAY,
            "attributes": {
                "plan": 1,
                "insured_from": TODAY,
                "insured_until": TODAY,
                "annual_cap_cents": 1,
                "region": 1,
            },
        }
    ]
    with pytest.raises(ApiError) as err:
        stale.issue("insurer-a", order)
    assert err.value.code == "bad_statement"
    issued = w["insurer"].issue("insurer-a", order)["credentials"][0]
    w["insurer"].revoke("insurer-a", issued["leaf_index"])
    key = base64.b64decode(w["phone"].ledger_key()["public_key"])
    report = audit(ApiAuditSource(url), key)
    assert report.ok and report.kinds["ISSUER_KEY_ROTATED"] == 1, report.problem


def test_a_phone_proves_from_served_artifacts_and_tiles(world, query_keys, node_modules, tmp_path):
    """witness.js, tiles.js and inputs.js against the live service: artifacts checked by digest, the path
    learnt from tiles (no request names the leaf), snarkjs proves on the 'device', the proof verifies."""
    from circuits.requests import Presentation, ProofRequest, age_at_least, verify_presentation

    w = world
    secret = cr.new_secret()
    issued = w["registry"].issue(
        "registry",
        [
            {
                "schema": "person.v1",
                "id_commitment": str(cr.id_commitment(secret)),
                "attributes": {"birthdate": dt.date(1990, 5, 12), "country": 276},
                "expiry": TODAY + dt.timedelta(days=99),
            }
        ],
    )["credentials"][0]
    request = age_at_least(18, TODAY, ["registry"], "phone/scope")
    case = {
        "issuer": "registry",
        "leafIndex": issued["leaf_index"],
        "credential": issued["credential"],
        "secret": str(secret),
        "request": request.to_json(),
    }
    (tmp_path / "case.json").write_text(json.dumps(case))
    done = subprocess.run(
        ["node", "tests/js/phone_prove.mjs", w["url"], str(tmp_path / "case.json"), str(tmp_path / "out.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads((tmp_path / "out.json").read_text())
    assert out["accepted"] and out["refusal"] is None
    print(f"\nphone in node: {out['times']}")
    leaf = issued["leaf_index"]
    tiles = [url.split("/tiles/")[1] for url in out["requested"] if "/tiles/" in url]
    assert tiles == [f"0/{leaf >> 8}", f"1/{leaf >> 16}", "2/0"]  # tile numbers only: 256 leaves at the bottom
    for url in out["requested"]:
        assert "/paths/" not in url and str(secret) not in url and issued["credential"]["nonce"] not in url
    accepted = httpx.get(w["url"] + "/v1/ledger/issuers/registry/roots").json()["accepted"]
    presentation = Presentation("registry", out["proof"], out["publicSignals"])
    assert verify_presentation(
        query_keys.vk, ProofRequest.from_json(request.to_json()), presentation, {"registry": {int(r) for r in accepted}}
    )
