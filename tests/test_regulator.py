"""The regulator against a real `zkelig serve`: the monitor follows it through 1,000 appends and its
own restart; public and auditor statistics (JSON and CSV); a reimbursement's commitment on the
ledger, its opening in the verifier's receipt only, and `zkelig funds check` on the insurer's total."""

import csv
import datetime as dt
import io
import json
import subprocess
import sys
import time

import pytest
from served import ledger_day, serving
from test_service import ROOT

from circuits import credentials as cr
from service.client import ApiError, ZkeligClient
from service.funds import Opening, total_of
from service.ledger import IssuerKey
from service.ledger import entries as e

ADMIN = "zk_test_admin_key_regulator_0123"
PASS = "a sufficiently long passphrase"


@pytest.fixture(scope="module")
def live(tmp_path_factory, query_keys):
    """`zkelig serve` in its own process, its output kept in a file (checked for secrets)."""
    data = tmp_path_factory.mktemp("regulator")
    env = {"ZKELIG_ADMIN_KEY": ADMIN, "ZKELIG_KEYS": str(query_keys.directory.parent)}
    with serving("--init", "--data-dir", str(data), env=env, log=data / "service.log", workers=1) as (_, url):
        yield url, data


@pytest.fixture(scope="module")
def world(live):
    url, data = live
    day = ledger_day()  # every entry and check of this module falls on it, issuers' enrolment included
    admin = ZkeligClient(url, ADMIN)
    insurer_key = IssuerKey.generate()  # signs issuance and the published totals
    insurer = admin.enrol_issuer("insurer-a", insurer_key)
    hospital = admin.with_key(admin.create_key("verifier", "hospital-a"))
    return dict(
        day=day,
        url=url,
        data=data,
        admin=admin,
        insurer=insurer,
        insurer_key=insurer_key,
        hospital=hospital,
        auditor=admin.with_key(admin.create_key("auditor")),
        phone=ZkeligClient(url, timeout=900),
    )  # a wallet proof on a busy 2-core machine


def coverage(id_commitment: str, day: dt.date, plan: int = 7) -> dict:
    return {
        "schema": "insurance.v1",
        "id_commitment": id_commitment,
        "attributes": {
            "plan": plan,
            "insured_from": day - dt.timedelta(days=30),
            "insured_until": day + dt.timedelta(days=30),
            "annual_cap_cents": 500_000,
            "region": 1,
        },
        "expiry": day + dt.timedelta(days=60),
    }


def follow(*args) -> list[dict]:
    run = subprocess.run(
        [sys.executable, "-m", "service", "audit", "--follow", "--json", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


def test_the_monitor_follows_a_service_through_a_thousand_appends_and_a_restart(world, tmp_path):
    w, state = world, tmp_path / "monitor.json"
    orders = [coverage(str(cr.id_commitment(cr.new_secret())), w["day"]) for _ in range(100)]
    base = ["--url", w["url"], "--state", str(state)]
    monitor = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "service",
            "audit",
            "--follow",
            "--json",
            *base,
            "--interval",
            "0.3",
            "--max-polls",
            "8",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    for _ in range(5):  # the first 500 appends while the monitor runs
        w["insurer"].issue("insurer-a", orders)
        time.sleep(0.2)
    out, _ = monitor.communicate(timeout=300)
    assert monitor.returncode == 0, out
    first = [json.loads(line) for line in out.splitlines()]
    assert all(x["event"] == "head" for x in first) and len(first) >= 2
    seen = first[-1]["size"]
    assert seen == sum(x["entries_checked"] for x in first)  # from entry 0, every entry once
    for _ in range(5):  # 500 more while no monitor runs
        w["insurer"].issue("insurer-a", orders)
    size = w["phone"].head()["size"]
    again = follow(*base, "--max-polls", "1", "--interval", "0")  # restarted: resumes from its state file
    assert again[0]["size"] > seen and again[-1]["size"] == size
    assert sum(x["entries_checked"] for x in again) == size - seen
    assert size >= 1000  # 1,000 commitment entries, and a root snapshot per issuing batch


@pytest.fixture(scope="module")
def claim(world):
    """One accepted reimbursement (proved in the wallet), and the same presentation refused on replay."""
    w = world
    today = w["day"]
    wallet = w["phone"].create_wallet(PASS)
    issued = w["insurer"].issue("insurer-a", [coverage(wallet["id_commitment"], today, plan=74)])["credentials"][0]
    credential_id = w["phone"].store_credential(wallet["wallet_id"], PASS, issued["credential"])
    scope = f"hospital-a/claims/{today}/claim-0042"
    rid = w["hospital"].create_request(
        "hospital-a", scope, ["insurer-a"], "reimbursable", covered_plans=[3, 74], claim_cents=123_456, day=today
    )["request_id"]
    presentation = w["phone"].prove_with_wallet(wallet["wallet_id"], PASS, credential_id, rid)
    receipt = w["hospital"].submit("hospital-a", rid, presentation)
    replay = w["hospital"].submit("hospital-a", rid, presentation)
    return dict(scope=scope, receipt=receipt, replay=replay)


def test_a_reimbursement_commits_its_amount_and_only_the_verifier_gets_the_opening(world, claim):
    body = claim["receipt"]["body"]
    assert body["decision"] == "accepted" and claim["replay"]["body"]["reason"] == "request_already_answered"
    opening = Opening.from_json(body["funds"])  # checks that it opens its commitment
    assert (opening.payer, opening.amount_cents) == ("insurer-a", 123_456)
    index = body["log_index"]
    entries = [e.decode(d) for d in world["phone"].entries(index - 1, index + 2)]
    assert entries[0] == e.ScopeNamed(claim["scope"])
    assert isinstance(entries[1], e.NullifierUsed)
    assert entries[2] == e.ClaimCommitment("insurer-a", opening.commitment)
    assert "funds" not in claim["replay"]["body"]
    log = (world["data"] / "service.log").read_text()
    assert str(opening.blinding) not in log and "123456" not in log


def test_funds_check_accepts_the_insurers_total_and_refuses_a_wrong_one(world, claim, tmp_path):
    opening = Opening.from_json(claim["receipt"]["body"]["funds"])
    statement, today = tmp_path / "total.json", world["day"]

    def check(total) -> subprocess.CompletedProcess:
        statement.write_text(json.dumps(total.sign(world["insurer_key"])))
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "service",
                "funds",
                "check",
                str(statement),
                "--url",
                world["url"],
                "--insurer",
                "insurer-a",
                "--from",
                str(today),
                "--to",
                str(today),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    good = check(total_of("insurer-a", today, today, [opening]))
    assert good.returncode == 0 and "1 claims" in good.stdout and "1,234.56" in good.stdout, good.stdout + good.stderr
    wrong = check(total_of("insurer-a", today, today, [Opening("insurer-a", 123_457, opening.blinding)]))
    assert wrong.returncode == 1 and "do not add up" in wrong.stdout, wrong.stdout + wrong.stderr


def _rows(client, path, **params):
    return client._call("GET", path, params=params)


def _csv(client, path) -> str:
    response = client.http.get(path, params={"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    return response.text


def test_public_ledger_statistics_name_scopes_per_day_in_json_and_csv(world, claim):
    stats, today = _rows(world["phone"], "/v1/statistics/ledger"), str(world["day"])  # no key
    rows = {(r["metric"], r["subject"], r["detail"]): r["count"] for r in stats["rows"] if r["day"] == today}
    assert rows[("nullifiers", claim["scope"], "hospital-a")] == 1
    assert rows[("claims", "insurer-a", "")] == 1
    assert rows[("credentials_issued", "insurer-a", "")] >= 1
    assert rows[("issuers_registered", "insurer-a", "")] == 1
    assert 0 < stats["size"] <= world["phone"].head()["size"]
    text = _csv(world["phone"], "/v1/statistics/ledger")
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert parsed and set(parsed[0]) == {"day", "metric", "subject", "detail", "count"}
    assert {"metric": "claims", "subject": "insurer-a", "detail": "", "count": "1", "day": today} in parsed


def test_service_statistics_need_the_auditor_and_count_refusals(world, claim):
    for client, status in ((world["phone"], 401), (world["hospital"], 403)):
        with pytest.raises(ApiError) as refused:
            _rows(client, "/v1/statistics/service")
        assert refused.value.status == status
    rows = _rows(world["auditor"], "/v1/statistics/service")["rows"]
    mine = {(r["metric"], r["subject"], r["detail"]): r["count"] for r in rows}
    assert mine[("requests_created", "hospital-a", "")] >= 1
    # refusals are counted off the request path: give the counter a moment
    deadline = time.time() + 10
    while ("answers_refused", "hospital-a", "request_already_answered") not in mine and time.time() < deadline:
        time.sleep(0.2)
        mine = {
            (r["metric"], r["subject"], r["detail"]): r["count"]
            for r in _rows(world["auditor"], "/v1/statistics/service")["rows"]
        }
    assert mine[("answers_refused", "hospital-a", "request_already_answered")] == 1
    text = _csv(world["auditor"], "/v1/statistics/service")
    assert text.startswith("day,metric,subject,detail,count\n")
    with pytest.raises(ApiError) as bad:
        _rows(world["auditor"], "/v1/statistics/service", format="xml")
    assert bad.value.status == 422
