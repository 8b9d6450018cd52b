"""The request hand-off and live results against a real `zkelig serve --workers 2`: requests in words with
a link and QR code, one presentation through the link (no API key), receipts restating the question and
checkable offline (SDK and `zkelig receipt verify`), event streams per request and per verifier across
workers, and signed webhooks retried with back-off."""

import base64
import copy
import datetime as dt
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from desk_world import TODAY
from sse_reader import EventReader

from service.client import ApiError
from service.receipts import check_receipt
from zkcore.errors import InvalidEncoding, InvalidProof

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def world(desk_world):
    return desk_world


def ledger_key(world) -> bytes:
    return base64.b64decode(world.holder.ledger_key()["public_key"])


def test_a_request_says_itself_in_words_with_link_and_qr(world):
    pharmacy = world.admin.with_key(world.admin.create_key("verifier", "pharmacy-9"))
    made = pharmacy.create_request("pharmacy-9", "pharmacy-9/visits", ["civil-registry"], "age_at_least", years=18)
    assert made["preset"] == "age_at_least" and made["params"] == {"years": 18}
    assert made["verifier_name"] == "pharmacy-9"  # no display name set yet: the id
    assert made["link"] == f"{world.url}/wallet#request={made['request_id']}"
    expires = dt.datetime.fromisoformat(made["expires_at"])
    assert (
        expires.utcoffset() == dt.timedelta(0)
        and int(expires.timestamp() * 1000) == made["expires_at_ms"] // 1000 * 1000
    )
    pharmacy.set_profile("pharmacy-9", "Pharmacie du Parc")
    view = world.holder.request_view(made["request_id"])  # no key: the id is the capability
    assert view["verifier_name"] == "Pharmacie du Parc" and view["answered"] is False
    assert view["request"]["queries"] == made["request"]["queries"] and "about" not in view["request"]
    claim = world.hospital.create_request(
        "hospital-a", "hospital-a/claims", ["insurer-a"], "reimbursable", covered_plans=[7, 9], claim_cents=125_000
    )
    assert claim["params"] == {"claim_cents": "125000", "covered_plans": ["7", "9"], "day": TODAY.isoformat()}
    qr = httpx.get(made["qr_svg"])
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml" and qr.text.startswith("<svg")
    proxied = httpx.get(f"{world.url}/v1/requests/{made['request_id']}", headers={"Host": "desk.example:8443"})
    assert proxied.json()["link"] == f"http://desk.example:8443/wallet#request={made['request_id']}"
    for bad in ("nope", "bad%20id%20here", "a" * 65):
        response = httpx.get(f"{world.url}/v1/requests/{bad}")
        assert response.status_code in (404, 422) and response.headers["content-type"] == "application/problem+json"


def test_lifetime_may_be_shortened_not_lengthened(world):
    short = world.hospital.create_request(
        "hospital-a", "hospital-a/visits", ["civil-registry"], "age_at_least", years=18, ttl_s=60
    )
    assert 59_000 <= short["expires_at_ms"] - short["created_at_ms"] <= 60_000
    with pytest.raises(ApiError) as err:
        world.hospital.create_request("hospital-a", "s", ["civil-registry"], "age_at_least", years=18, ttl_s=10**6)
    assert err.value.status == 422


def test_the_link_answers_once_and_the_receipt_checks_offline(world, tmp_path):
    made = world.hospital.create_request(
        "hospital-a", "hospital-a/visits", ["civil-registry"], "age_at_least", years=18
    )
    presentation = world.prove(world.person, made["request_id"])
    receipt = world.holder.present(made["request_id"], presentation)  # the only use of scope hospital-a/visits
    body = receipt["body"]
    assert body["decision"] == "accepted" and body["verifier"] == "hospital-a" and body["scope"] == "hospital-a/visits"
    assert body["question"]["preset"] == "age_at_least" and body["question"]["params"] == {"years": 18}
    assert body["question"]["queries"] == made["request"]["queries"]
    checked = world.hospital.verify_receipt(receipt, ledger_key(world))
    assert checked.decision == "accepted" and checked.log_index == body["log_index"]
    again = world.holder.present(made["request_id"], presentation)
    assert again["body"]["decision"] == "refused" and again["body"]["reason"] == "request_already_answered"
    assert check_receipt(again, ledger_key(world)).reason == "request_already_answered"

    def verify(receipt_json, *extra):
        path = tmp_path / "receipt.json"
        path.write_text(json.dumps(receipt_json))
        key = base64.b64encode(ledger_key(world)).decode()
        return subprocess.run(
            [sys.executable, "-m", "service", "receipt", "verify", str(path), "--public-key", key, *extra],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )

    ok = verify(receipt)
    assert ok.returncode == 0 and ok.stdout.startswith("receipt valid: accepted (ok) for hospital-a"), ok.stderr
    forged = copy.deepcopy(receipt)
    forged["body"]["verifier"] = "hospital-b"
    result = verify(forged, "--url", world.url)  # the key fetched from the service this time
    assert result.returncode == 1 and result.stderr.startswith("error: receipt NOT valid"), result.stderr
    assert "Traceback" not in result.stderr
    lifted = copy.deepcopy(receipt)  # a valid inclusion proof of another entry
    lifted["inclusion"] = world.holder.receipt(body["log_index"] - 1)
    stripped = {k: v for k, v in receipt.items() if k != "inclusion"}
    for broken in (forged, lifted, stripped):
        with pytest.raises((InvalidProof, InvalidEncoding)):
            check_receipt(broken, ledger_key(world))
    unreadable = tmp_path / "nope.json"
    unreadable.write_text("{not json")
    result = subprocess.run(
        [sys.executable, "-m", "service", "receipt", "verify", str(unreadable), "--public-key", "AAAA"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def fresh_scope(tag: str) -> str:
    """A scope of its own: the holder's nullifier in it is unused, so a valid proof is accepted."""
    return f"hospital-a/{tag}-{os.urandom(4).hex()}"


def test_the_link_refuses_malformed_presentations_without_a_trace(world):
    made = world.hospital.create_request(
        "hospital-a", fresh_scope("malformed"), ["civil-registry"], "age_at_least", years=18
    )
    url = f"{world.url}/v1/requests/{made['request_id']}/presentations"
    good = world.prove(world.person, made["request_id"])
    for body, status in (
        ({"presentation": {**good, "proof": {**good["proof"], "pi_a": ["1", "3", "1"]}}}, 400),
        ({"presentation": {"issuer": "x"}}, 422),
        ({"nope": 1}, 422),
    ):
        response = httpx.post(url, json=body)
        assert response.status_code == status and response.headers["content-type"] == "application/problem+json"
    assert (
        httpx.post(f"{world.url}/v1/requests/unknownrequest1/presentations", json={"presentation": good}).status_code
        == 404
    )
    assert world.holder.present(made["request_id"], good)["body"]["decision"] == "accepted"  # still answerable


def test_events_reach_request_and_verifier_streams_across_workers(world):
    verifier_stream = EventReader(
        f"{world.url}/v1/verifiers/hospital-a/events", {"Authorization": f"Bearer {world.hospital_key}"}
    )
    assert verifier_stream.status == 200 and verifier_stream.content_type.startswith("text/event-stream")
    denied = httpx.get(f"{world.url}/v1/verifiers/hospital-a/events", timeout=10)
    assert denied.status_code == 401 and denied.headers["content-type"] == "application/problem+json"
    latencies = []
    for _ in range(4):  # enough that, with two workers, both stream-holder and decider differ at some point
        made = world.hospital.create_request(
            "hospital-a", fresh_scope("events"), ["civil-registry"], "age_at_least", years=18
        )
        stream = EventReader(f"{world.url}/v1/requests/{made['request_id']}/events")
        status = stream.wait_for("status")[0][1]
        assert status == {"request_id": made["request_id"], "answered": False, "expires_at_ms": made["expires_at_ms"]}
        presentation = world.prove(world.person, made["request_id"])
        started = time.time()
        world.holder.present(made["request_id"], presentation)
        arrived, event = stream.wait_for("decision")[0]
        latencies.append(arrived - started)
        assert set(event) == {"request_id", "decision", "reason", "decided_at_ms"}  # the outcome only
        assert event["decision"] == "accepted"
        stream.close()
        mine = verifier_stream.wait_for_request(made["request_id"])
        assert mine["receipt"]["body"]["decision"] == "accepted"
    assert max(latencies) < 2.0, latencies
    recent = world.hospital.decisions("hospital-a", since_ms=int((time.time() - 600) * 1000))
    assert len(recent) >= 4 and recent[0]["recorded_ms"] >= recent[-1]["recorded_ms"]
    verifier_stream.close()


class Receiver(BaseHTTPRequestHandler):
    fail_first = 0
    calls: list = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append((time.time(), dict(self.headers), body))
        status = 500 if len(type(self).calls) <= type(self).fail_first else 204
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


def receiver(fail_first: int):
    handler = type("R", (Receiver,), {"fail_first": fail_first, "calls": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler


@pytest.mark.parametrize("fail_first", [0, 2])
def test_webhooks_are_signed_and_retried(world, fail_first):
    verifier = f"clinic-{fail_first}"
    client = world.admin.with_key(world.admin.create_key("verifier", verifier))
    server, handler = receiver(fail_first)
    try:
        profile = client.set_profile(verifier, "Clinic", f"http://127.0.0.1:{server.server_port}/hook")
        secret = profile["webhook_secret"]
        assert secret.startswith("whsec_") and client.set_profile.__self__  # returned once …
        assert (
            httpx.get(f"{world.url}/v1/verifiers/{verifier}/profile", headers=dict(client.http.headers)).json()[
                "webhook_secret"
            ]
            is None
        )  # … never again
        made = client.create_request(verifier, f"{verifier}/visits", ["civil-registry"], "age_at_least", years=18)
        world.holder.present(made["request_id"], world.prove(world.person, made["request_id"]))
        answered_at = time.time()
        deadline = time.time() + 30
        while len(handler.calls) < fail_first + 1 and time.time() < deadline:
            time.sleep(0.05)
        assert len(handler.calls) == fail_first + 1, len(handler.calls)
        for _, headers, body in handler.calls:
            expected = hmac.new(
                secret.encode(), headers["X-Zkelig-Timestamp"].encode() + b"." + body, hashlib.sha256
            ).hexdigest()
            assert headers["X-Zkelig-Signature"] == "sha256=" + expected
        event = json.loads(handler.calls[-1][2])
        assert event["request_id"] == made["request_id"] and event["decision"] == "accepted"
        assert check_receipt(event["receipt"], ledger_key(world)).decision == "accepted"
        attempts = [int(h["X-Zkelig-Attempt"]) for _, h, _ in handler.calls]
        assert attempts == list(range(1, fail_first + 2))
        if fail_first:  # back-off: 1 s then 2 s between attempts (ZKELIG_WEBHOOK_BACKOFF_S = 1)
            gaps = [b[0] - a[0] for a, b in zip(handler.calls, handler.calls[1:])]
            assert gaps[0] >= 0.9 and gaps[1] >= 1.9, gaps
        else:
            assert handler.calls[0][0] - answered_at < 2
        time.sleep(1.5)
        assert len(handler.calls) == fail_first + 1  # delivered once: no retry after a 2xx
    finally:
        server.shutdown()
