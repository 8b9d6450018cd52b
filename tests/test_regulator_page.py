"""The regulator's page in headless Chromium against a real `zkelig serve --workers 2` after a small story
(credentials issued, an answer accepted, a claim reimbursed, the same claim refused): the head verified in
the browser and, after the log grew, its consistency from the head seen before; a forged stored head shown
as a red warning; the plots drawn; both CSV downloads parse; refusals by reason with an auditor key; the
insurer's signed total checked and matched, a wrongly signed or tampered total refused in words. The page
sends no personal data (none exists) and no key but the auditor's, as a Bearer header.
Screenshots: tests/artifacts/test_regulator_page*/."""

import csv
import datetime as dt
import io
import json
from pathlib import Path

import httpx
import pytest
from served import ledger_day

from circuits import credentials as cr
from service.client import ZkeligClient
from service.funds import Opening, PeriodTotal, total_of
from service.ledger import IssuerKey
from service.stats import COLUMNS

CLAIM_CENTS = 120_000


class Story:
    def __init__(self, server, pk):
        admin = server.admin()
        self.day = day = ledger_day()  # every entry and check of this module falls on it
        self.url = server.url
        self.insurer_key = IssuerKey.generate()  # signs insurer A's issuance and its published totals
        self.registry = admin.enrol_issuer("civil-registry")
        self.insurer = admin.enrol_issuer("insurer-a", self.insurer_key)
        admin.enrol_issuer("insurer-b")
        self.hospital = admin.with_key(admin.create_key("verifier", "hospital-a"))
        self.auditor_key = admin.create_key("auditor")
        secret = cr.new_secret()
        commitment = str(cr.id_commitment(secret))
        person = cr.Credential.from_json(self.registry.issue("civil-registry", [{
            "schema": "person.v1", "id_commitment": commitment, "expiry": day + dt.timedelta(days=3650),
            "attributes": {"birthdate": dt.date(1990, 5, 12), "country": 250}}])["credentials"][0]["credential"])
        insurance = cr.Credential.from_json(self.insurer.issue("insurer-a", [{
            "schema": "insurance.v1", "id_commitment": commitment, "expiry": day + dt.timedelta(days=365),
            "attributes": {"plan": 7, "insured_from": day - dt.timedelta(days=30),
                           "insured_until": day + dt.timedelta(days=300), "annual_cap_cents": 500_000,
                           "region": 11}}])["credentials"][0]["credential"])
        phone = ZkeligClient(server.url)

        def answer(credential, scope, issuer, preset, **params):
            rid = self.hospital.create_request("hospital-a", scope, [issuer], preset, **params)["request_id"]
            return self.hospital.submit("hospital-a", rid, phone.prove_on_device(credential, secret, rid, pk))

        assert answer(person, f"hospital-a/visits/{day}", "civil-registry", "age_at_least",
                      years=18)["body"]["decision"] == "accepted"
        claim = {"covered_plans": [7, 9], "claim_cents": CLAIM_CENTS, "day": day}
        receipt = answer(insurance, "hospital-a/claims/claim-0042", "insurer-a", "reimbursable", **claim)
        assert receipt["body"]["decision"] == "accepted"
        self.openings = [Opening.from_json(receipt["body"]["funds"])]
        again = answer(insurance, "hospital-a/claims/claim-0042", "insurer-a", "reimbursable", **claim)
        assert again["body"]["reason"] == "nullifier_reused"

    def total(self, **changes) -> dict:
        """Insurer A's signed total for today, optionally signed over changed figures."""
        honest = total_of("insurer-a", self.day, self.day, self.openings)
        return PeriodTotal(**{**honest.__dict__, **changes}).sign(self.insurer_key)

    def grow(self) -> None:
        self.registry.issue("civil-registry", [{
            "schema": "person.v1", "id_commitment": str(cr.id_commitment(cr.new_secret())),
            "expiry": self.day + dt.timedelta(days=3650),
            "attributes": {"birthdate": dt.date(1970, 1, 2), "country": 250}}])


@pytest.fixture(scope="module")
def story(zkelig_server, query_keys):
    return Story(zkelig_server, query_keys.pk)


def canvas_ink(page, canvas_id: str) -> int:
    """How many pixels of the canvas are drawn on (not transparent)."""
    return page.evaluate("""(id) => {
        const c = document.getElementById(id);
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]) n++;
        return n;
    }""", canvas_id)


def open_page(page, story):
    page.goto(story.url + "/regulator")
    page.wait_for_selector("body[data-ready=true]", timeout=20000)


def check_total(page, signed: dict, day: dt.date, insurer="insurer-a"):
    page.get_by_label("Insurer", exact=True).select_option(insurer)
    page.get_by_label("From", exact=True).fill(day.isoformat())
    page.get_by_label("To", exact=True).fill(day.isoformat())
    page.get_by_label("The insurer's signed total").fill(json.dumps(signed, indent=1))
    page.get_by_role("button", name="Check against the ledger").click()
    page.wait_for_function("() => !document.getElementById('funds-result').hidden")
    return page.locator("#funds-result").inner_text()


def test_regulator_page_verifies_plots_downloads_and_checks_funds(story, page, shot, sent, tmp_path):
    headers: list[tuple[str, str, dict]] = []
    page.on("request", lambda r: headers.append((r.method, r.url, r.headers)))
    open_page(page, story)
    status = page.locator("#head-status")
    assert status.inner_text().startswith("Verified: signed by the ledger's key.")
    assert "first head this browser has seen" in status.inner_text()
    head = httpx.get(story.url + "/v1/ledger/head").json()
    assert page.locator("#head-size").inner_text() == f"{head['size']:,} entries"
    assert page.locator("#head-verified").inner_text() != "never"
    for plot in ("plot-entries", "plot-issuers", "plot-scopes"):
        assert int(page.locator(f"#{plot}").get_attribute("data-total")) > 0, plot
        assert canvas_ink(page, plot) > 2000, plot
    assert "insurer-a: issued: 1" in page.locator("#plot-issuers").get_attribute("aria-label")
    assert "hospital-a/claims/claim-0042: 1" in page.locator("#plot-scopes").get_attribute("aria-label")
    table = page.locator("#ledger-rows").inner_text()
    assert "credentials issued" in table and "credentials_issued" not in table and story.day.strftime("%B") in table
    shot("head-verified-and-plots")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download as CSV").first.click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == COLUMNS and download.value.suggested_filename == "zkelig-ledger-statistics.csv"
    claims = {"day": story.day.isoformat(), "metric": "claims", "subject": "insurer-a", "detail": "", "count": "1"}
    assert claims in rows

    # refusals need an auditor key: a wrong one is refused in words, the right one draws refusals by reason
    page.get_by_label("Auditor key").fill("zk_not_a_key")
    page.get_by_role("button", name="Show service statistics").click()
    page.get_by_text("Unknown API key.").wait_for()
    page.get_by_label("Auditor key").fill(story.auditor_key)
    page.get_by_role("button", name="Show service statistics").click()
    page.locator("#service-view").wait_for()
    assert "already answered once in this scope: 1" in page.locator("#plot-refusals").get_attribute("aria-label")
    assert canvas_ink(page, "plot-refusals") > 2000
    assert page.get_by_label("Auditor key").input_value() == ""  # kept in the tab's session storage, not on screen
    with page.expect_download() as download:
        page.locator("#download-service").click()
    service_rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert {"metric": "answers_refused", "subject": "hospital-a", "detail": "nullifier_reused"}.items() <= \
        next(r for r in service_rows if r["metric"] == "answers_refused").items()
    shot("auditor-refusals")

    # the insurer's signed total: matches; a wrongly signed total and an edited one do not
    day = story.day.strftime("%-d %B %Y")
    honest = story.total()
    assert check_total(page, honest, story.day).startswith(
        f"The total published by insurer-a for {day}, €1,200.00, matches the 1 claim on the ledger.")
    assert "ok" in page.locator("#funds-result").get_attribute("class")
    shot("funds-match")
    wrong = story.total(amount_cents=CLAIM_CENTS + 10_000)
    result = check_total(page, wrong, story.day)
    assert result.startswith(f"The total published by insurer-a for {day}, €1,300.00, does not match the ledger.")
    assert "The claims' commitments do not add up to the published total." in result
    assert "no" in page.locator("#funds-result").get_attribute("class")
    shot("funds-wrong-total")
    edited = json.loads(json.dumps(honest))
    edited["body"]["amount_cents"] = 100_000
    assert "not signed by insurer-a's key" in check_total(page, edited, story.day)
    counted = story.total(claims=2)
    assert "The ledger holds 1 claim for insurer-a in the period; the statement counts 2." in check_total(
        page, counted, story.day)
    assert check_total(page, honest, story.day - dt.timedelta(days=1)).startswith(
        f"This statement is insurer-a's total for {day}, not insurer-a's for")
    statement_file = tmp_path / "insurer-a-total.json"  # loaded from a file rather than pasted
    statement_file.write_text(json.dumps(honest))
    page.get_by_label("From", exact=True).fill(story.day.isoformat())
    page.get_by_label("To", exact=True).fill(story.day.isoformat())
    page.get_by_label("The insurer's signed total").fill("")
    page.get_by_label("Load the statement from a file").set_input_files(str(statement_file))
    page.wait_for_function("() => document.getElementById('statement').value.length > 0")
    page.get_by_role("button", name="Check against the ledger").click()
    page.wait_for_function("() => !document.getElementById('funds-result').hidden")
    assert "matches the 1 claim on the ledger." in page.locator("#funds-result").inner_text()

    # the log grows; checking again proves it was only appended to since the head seen here
    before = head["size"]
    story.grow()
    page.get_by_role("button", name="Check the head again").click()
    page.wait_for_function(f"() => !document.getElementById('head-size').textContent.startsWith('{before:,} ')")
    assert f"({before:,} entries): the log was only appended to since." in status.inner_text()
    shot("head-verified-again")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("phone-width")

    # what the page sent: only to this service, nothing in a body but the public statements, and the one key
    # it knows (the auditor's) only as a Bearer header on the auditor's statistics
    assert all(url.startswith(story.url) for _, url, _ in headers)
    assert {url.split("?")[0] for method, url, _ in headers if method != "GET"} == {story.url + "/v1/funds/check"}
    keyed = [(url, h["authorization"]) for _, url, h in headers if "authorization" in h]
    assert keyed and all(url.startswith(story.url + "/v1/statistics/service") for url, _ in keyed)
    assert {auth for _, auth in keyed} <= {"Bearer zk_not_a_key", f"Bearer {story.auditor_key}"}
    assert not sent.carrying(story.auditor_key)
    assert all(r.body == "" or json.loads(r.body)["body"]["statement"] == "zkelig/funds-total/v1" for r in sent)
    assert page.page_errors == []


def test_regulator_page_warns_when_the_stored_head_does_not_verify(story, page, shot):
    open_page(page, story)
    assert page.locator("#head-status").inner_text().startswith("Verified")
    # the head this browser verified before, its root altered: as if the log it saw were another one
    page.evaluate("""() => {
        const item = JSON.parse(localStorage.getItem('zkelig.regulator.head'));
        const lines = item.checkpoint.split('\\n');
        lines[2] = (lines[2][0] === 'A' ? 'B' : 'A') + lines[2].slice(1);
        item.checkpoint = lines.join('\\n');
        localStorage.setItem('zkelig.regulator.head', JSON.stringify(item));
    }""")
    open_page(page, story)
    status = page.locator("#head-status")
    assert status.inner_text().startswith("Warning: this ledger failed a check: the checkpoint's signature does not")
    page.get_by_text("(not verified)").first.wait_for()
    assert page.locator("#head-size").inner_text().endswith("entries (not verified)")
    assert "Do not rely on this ledger's figures." in status.inner_text()
    assert "warn" in status.get_attribute("class")
    shot("stored-head-forged")


def test_funds_check_endpoint_refuses_malformed_statements(story):
    for bad in ([], {"body": "x"}, {"body": {"statement": "zkelig/funds-total/v1"}, "signature": "AA=="},
                {"body": {**story.total()["body"], "payer": "nobody"}, "signature": "AA=="},
                {"body": {**story.total()["body"], "claims": float("inf")}, "signature": "AA=="},
                {"body": {**story.total()["body"], "blinding": "-1"}, "signature": story.total()["signature"]}):
        answer = httpx.post(story.url + "/v1/funds/check", content=json.dumps(bad),
                            headers={"Content-Type": "application/json"})
        assert answer.status_code in (400, 422), (bad, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "Traceback" not in answer.text
    assert httpx.post(story.url + "/v1/funds/check", json=story.total()).json() == {
        "ok": True, "claims_on_ledger": 1, "problem": None}


def test_plotting_library_is_served_from_node_modules_by_allow_list(story):
    served = httpx.get(story.url + "/web/vendor/chart.js/dist/chart.umd.min.js")
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/javascript")
    assert "Chart" in served.text[:5000]
    for other in ("package.json", "dist/chart.js", "%2e%2e/snarkjs/build/snarkjs.min.js"):
        assert httpx.get(story.url + f"/web/vendor/chart.js/{other}").status_code == 404, other
    page = httpx.get(story.url + "/regulator")
    assert "script-src 'self'" in page.headers["content-security-policy"] and "cdn" not in page.text.lower()


REGULATOR_WORDS = """async () => {
  const w = await import('/web/shared/words.js');
  const { series } = await import('/web/regulator/plots.js');
  await w.loadPresets();
  const rows = [];
  for (let i = 0; i < 10; i++) rows.push({ day: '2026-11-0' + (1 + (i % 2)), metric: 'nullifiers', subject: 's' + i,
                                           detail: '', count: 10 - i });
  const folded = series(rows, (r) => r.metric === 'nullifiers', (r) => r.subject);
  return {
    month: w.periodWords('2026-11-01', '2026-11-30'), months: w.periodWords('2026-11-28', '2026-12-02'),
    years: w.periodWords('2026-12-30', '2027-01-02'), day: w.periodWords('2026-11-30', '2026-11-30'),
    one: w.countWords(1, 'claim'), many: w.countWords(1204, 'entry', 'entries'), none: w.countWords(0, 'claim'),
    metric: w.metricWords('answers_refused'), kind: w.entryKindWords('claim'), unknown: w.metricWords('new_thing'),
    days: folded.days, labels: folded.series.map((s) => s.label), first: folded.series[0].values,
    others: folded.series[folded.series.length - 1].values,
  };
}"""


def test_regulator_words_and_plot_series(story, page):
    page.goto(story.url + "/regulator")
    said = page.evaluate(REGULATOR_WORDS)
    assert said["month"] == "1–30 November 2026"
    assert said["months"] == "28 November – 2 December 2026"
    assert said["years"] == "30 December 2026 – 2 January 2027"
    assert said["day"] == "30 November 2026"
    assert (said["one"], said["many"], said["none"]) == ("1 claim", "1,204 entries", "0 claims")
    assert (said["metric"], said["kind"], said["unknown"]) == ("answers refused", "claim commitments", "new thing")
    # ten scopes: the seven largest by name, the other three folded into one series, per day
    assert said["days"] == ["2026-11-01", "2026-11-02"]
    assert said["labels"] == [f"s{i}" for i in range(7)] + ["3 others"]
    assert said["first"] == [10, 0] and said["others"] == [2, 4]  # s7 (3) and s9 (1) on day 2, s8 (2) on day 1
    assert page.page_errors == []
