"""The phone wallet (/wallet) in headless Chromium at 390×844 against a real `zkelig serve --workers 2`:
create the wallet, get credentials issued with the Python SDK (as an issuer would), import them from a
file, a QR picture, the camera and a one-time pickup link, open a request link, consent, prove in the browser,
see "accepted"; the same link again is refused; an under-age holder, a lapsed coverage, a revoked or expired
credential and an expired request are refused in words; the desk and the wallet side by side.
Every request the phone sent is recorded and searched for the secret, attribute values and the leaf index.
Screenshots of each screen go to tests/artifacts/<test>/."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import time

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from playwright.sync_api import expect
from web_fixtures import RequestRecorder, new_context

from circuits import credentials as cr

PASSPHRASE = "correct horse battery staple"
TODAY = dt.date.today()
FILLER = 300  # credentials issued before the holder's, so the leaf index is not a small, common number


@pytest.fixture(scope="module")
def actors(zkelig_server):
    """A civil registry, an insurer and a hospital on the live service; both issuers' trees already hold
    FILLER leaves of other people."""
    admin = zkelig_server.admin()
    registry = admin.enrol_issuer("civil-registry")
    insurer = admin.enrol_issuer("insurer-a")
    hospital_key = admin.create_key("verifier", "hospital-a")
    hospital = admin.with_key(hospital_key)
    hospital.set_profile("hospital-a", "Saint Mary's Hospital")
    others = [
        {
            "schema": "person.v1",
            "id_commitment": str(cr.id_commitment(cr.new_secret())),
            "attributes": {"birthdate": dt.date(1970, 1, 1) + dt.timedelta(days=i * 37), "country": 250},
            "expiry": TODAY + dt.timedelta(days=400),
        }
        for i in range(FILLER)
    ]
    registry.issue("civil-registry", others)
    insured = [
        {
            "schema": "insurance.v1",
            "id_commitment": o["id_commitment"],
            "expiry": o["expiry"],
            "attributes": {
                "plan": 3,
                "insured_from": TODAY,
                "insured_until": TODAY,
                "annual_cap_cents": 1,
                "region": 1,
            },
        }
        for o in others
    ]
    insurer.issue("insurer-a", insured)
    return {
        "registry": registry,
        "insurer": insurer,
        "hospital": hospital,
        "hospital_key": hospital_key,
        "url": zkelig_server.url,
    }


# Watches the consent screen from the first paint: was "Answer with a proof" ever shown enabled while no
# credential was chosen yet ("Answered with" still hidden)? A tap then proved with no credential.
EARLY_TAP_WATCH = """
window.__tappableEarly = false;
new MutationObserver(() => {
  const [consent, prove, using] = ["consent", "prove", "using"].map((id) => document.getElementById(id));
  if (consent && prove && using && !consent.hidden && !prove.hidden && !prove.disabled && using.hidden) {
    window.__tappableEarly = true;
  }
}).observe(document, { subtree: true, childList: true, attributes: true });
"""


class Phone:
    """One holder's phone: a 390×844 browser context whose every request is recorded."""

    def __init__(self, browser, shot, name: str):
        self.sent = RequestRecorder()
        self.context = new_context(browser, self.sent, phone=True)
        self.shot, self.name, self.errors = shot, name, []
        self.page = self.open_tab()

    def open_tab(self):
        tab = self.context.new_page()
        tab.on("pageerror", lambda err: self.errors.append(str(err)))
        return tab

    def snap(self, step: str) -> None:
        self.shot(f"{self.name}-{step}", self.page)

    def goto(self, url: str) -> None:
        """Open `url` as a person does when following a link: a fresh tab, the wallet locked."""
        self.page.close()
        self.page = self.open_tab()
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready=true]")

    def create(self, base_url: str) -> str:
        self.page.goto(base_url + "/wallet")
        self.page.wait_for_selector("body[data-ready=true]")
        self.snap("welcome")
        self.page.get_by_label("Choose a passphrase").fill(PASSPHRASE)
        self.page.get_by_label("Type it again").fill(PASSPHRASE)
        self.page.get_by_role("button", name="Create my wallet").click()
        self.page.get_by_role("heading", name="Your identity for issuers").wait_for()
        return self.page.locator("#id-commitment").inner_text().strip()

    def unlock(self) -> None:
        self.page.get_by_label("Passphrase", exact=True).fill(PASSPHRASE)
        self.page.get_by_role("button", name="Open").click()

    def close(self) -> None:
        self.context.close()


def issue_person(registry, commitment: str, birthdate: dt.date) -> dict:
    order = {
        "schema": "person.v1",
        "id_commitment": commitment,
        "attributes": {"birthdate": birthdate, "country": 250},
        "expiry": TODAY + dt.timedelta(days=3650),
    }
    return registry.issue("civil-registry", [order])["credentials"][0]


def issue_insurance(insurer, commitment: str, start: dt.date, until: dt.date, plan: int = 7) -> dict:
    order = {
        "schema": "insurance.v1",
        "id_commitment": commitment,
        "expiry": until + dt.timedelta(days=365),
        "attributes": {
            "plan": plan,
            "insured_from": start,
            "insured_until": until,
            "annual_cap_cents": 500_000,
            "region": 11,
        },
    }
    return insurer.issue("insurer-a", [order])["credentials"][0]


def open_backup(text: str, passphrase: str) -> dict:
    """Decrypt a wallet backup file as store.js wrote it: PBKDF2-SHA256 → AES-256-GCM, header as AAD."""
    record = json.loads(text)
    kdf = record["kdf"]
    key = hashlib.pbkdf2_hmac("sha256", passphrase.encode(), base64.b64decode(kdf["salt"]), kdf["iterations"])
    header = json.dumps(
        {"format": record["format"], "version": record["version"], "kdf": kdf}, separators=(",", ":")
    ).encode()
    iv, sealed = base64.b64decode(record["cipher"]["iv"]), base64.b64decode(record["ciphertext"])
    plain = AESGCM(key).decrypt(iv, sealed, header)
    return json.loads(plain)


def token(value: str) -> re.Pattern:
    """`value` as a whole token: not part of a longer number or hex string."""
    return re.compile(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])")


def leaks(sent: RequestRecorder, secrets_: dict[str, str]) -> list[str]:
    found = []
    for request in sent:
        for what, value in secrets_.items():
            if token(value).search(request.url) or token(value).search(request.body):
                found.append(f"{what} in {request.method} {request.url}")
    return found


def test_phone_story_create_import_consent_prove_and_refuse_a_second_answer(actors, browser, shot, tmp_path):
    url = actors["url"]
    phone = Phone(browser, shot, "alice")
    try:
        commitment = phone.create(url)
        assert re.fullmatch(r"[0-9]{60,78}", commitment)
        assert phone.page.locator("#id-qr svg").count() == 1
        phone.snap("identity")

        # a credential file, as an issuer's desk would hand it over
        person = issue_person(actors["registry"], commitment, dt.date(1990, 5, 12))
        assert person["leaf_index"] >= FILLER
        (tmp_path / "person.json").write_text(json.dumps(person))
        phone.page.get_by_label("From a file").set_input_files(str(tmp_path / "person.json"))
        phone.page.get_by_text("born 12 May 1990").wait_for()

        # a picture of a QR code holding a one-time pickup link
        import segno

        year = (dt.date(TODAY.year, 1, 1), dt.date(TODAY.year, 12, 31))
        insurance = issue_insurance(actors["insurer"], commitment, *year)
        assert insurance["leaf_index"] >= FILLER
        link = actors["insurer"].create_pickup("insurer-a", insurance["credential"])
        segno.make(link, error="m").save(str(tmp_path / "pickup.png"), scale=6)
        phone.page.get_by_label("From a picture of a QR code").set_input_files(str(tmp_path / "pickup.png"))
        phone.page.get_by_text(f"plan 7, insured 1 Jan – 31 Dec {TODAY.year}").wait_for()
        assert phone.page.get_by_text("annual cap €5,000.00").is_visible()
        assert "2147" not in phone.page.locator("#credentials").inner_text()  # never the encoded slots
        phone.snap("credentials")

        # the hospital asks; the holder follows the link on the phone
        request = actors["hospital"].create_request(
            "hospital-a", "hospital-a/visits", ["civil-registry"], "age_at_least", years=18
        )
        request_link = f"{url}/wallet#request={request['request_id']}"
        phone.goto(request_link)
        phone.snap("unlock")
        phone.unlock()
        phone.page.get_by_text("Are you 18 or older?").wait_for()
        assert phone.page.get_by_text("Saint Mary's Hospital asks:").is_visible()
        assert phone.page.get_by_text("Only the answer, yes or no.").is_visible()
        assert phone.page.get_by_text("You can answer once for “hospital-a/visits”").is_visible()
        # shown once the wallet has checked its credentials against the request (downloads, hashing)
        phone.page.get_by_text("Identity from civil-registry: born 12 May 1990").wait_for()
        phone.snap("consent")

        # while the holder reads, the prover gets ready: the proving key, and snarkjs's curve with its
        # worker threads; nothing about the credential (no tile) is fetched before the holder consents
        phone.page.wait_for_selector("body[data-prover=ready]", timeout=120_000)
        assert phone.sent.carrying("circuit.zkey")
        assert not phone.sent.carrying("/tiles/")
        threads = phone.page.evaluate("[globalThis.curve_bn128?.tm.workers?.length, navigator.hardwareConcurrency]")
        assert threads[0] == threads[1] >= 1, threads
        phone.page.evaluate("globalThis.curve_bn128.builtBeforeTheTap = true")
        zkey_downloads = len(phone.sent.carrying("circuit.zkey"))

        started = time.perf_counter()
        phone.page.get_by_role("button", name="Answer with a proof").click()
        phone.page.get_by_role("heading", name="Making the proof on this phone").wait_for()
        phone.snap("proving")
        phone.page.locator("#outcome").get_by_text("Accepted").wait_for(timeout=120_000)
        tap_to_receipt = time.perf_counter() - started
        phone.snap("accepted")
        # the proof used what was warmed: the same curve and workers, the proving key not fetched again
        assert phone.page.evaluate("globalThis.curve_bn128?.builtBeforeTheTap === true")
        assert len(phone.sent.carrying("circuit.zkey")) == zkey_downloads
        assert phone.sent.carrying("/tiles/")
        assert "Saint Mary's Hospital now knows: yes, 18 or older" in phone.page.locator("#outcome").inner_text()

        # the same link again: refused before proving, in words
        phone.goto(request_link)
        phone.unlock()
        phone.page.get_by_text("This request was already answered").wait_for()
        assert phone.page.get_by_role("button", name="Answer with a proof").is_hidden()
        phone.snap("answered-again")
        phone.page.get_by_role("button", name="Close").click()

        # the backup opens with the passphrase alone, and holds what the phone showed
        with phone.page.expect_download() as download:
            phone.page.get_by_role("button", name="Download a backup").click()
        backup_file = tmp_path / "backup.json"
        download.value.save_as(backup_file)
        content = open_backup(backup_file.read_text(), PASSPHRASE)
        secret = int(content["secret"])
        assert str(cr.id_commitment(secret)) == commitment
        assert len(content["credentials"]) == 2 and len(content["receipts"]) == 1

        # installable, and it opens offline from its service worker with the credentials it holds
        assert phone.page.evaluate("navigator.serviceWorker.controller !== null")
        manifest = phone.page.evaluate("fetch('/web/wallet/manifest.webmanifest').then((r) => r.json())")
        assert manifest["start_url"] == "/wallet" and manifest["display"] == "standalone"
        phone.context.set_offline(True)
        phone.goto(url + "/wallet")
        phone.unlock()
        phone.page.get_by_text("born 12 May 1990").wait_for()
        phone.snap("offline")
        phone.context.set_offline(False)

        # what the server saw: no secret, no attribute, no nonce, no leaf index, not even the commitment
        private = {"secret": str(secret), "secret (hex)": format(secret, "x"), "id commitment": commitment}
        for name, issued in (("person", person), ("insurance", insurance)):
            credential = issued["credential"]
            private[f"{name} nonce"] = credential["nonce"]
            private[f"{name} leaf index"] = str(issued["leaf_index"])
            for i, value in enumerate(credential["slots"]):
                if int(value):
                    private[f"{name} slot {i}"] = value
        private |= {"birthdate": "1990-05-12", "plan": "plan 7", "cap": "500000"}
        assert any("/presentations" in r.url for r in phone.sent)
        found = leaks(phone.sent, private)
        assert found == [], found
        assert phone.errors == []
        print(f"tap to receipt in the test: {tap_to_receipt:.2f} s")
    finally:
        phone.close()

    # a new phone: the backup restores with its passphrase, and not with another
    new_phone = Phone(browser, shot, "alice-new-phone")
    try:
        new_phone.page.goto(url + "/wallet")
        new_phone.page.wait_for_selector("body[data-ready=true]")
        new_phone.page.get_by_text("I have a backup file").click()
        new_phone.page.get_by_label("Backup file").set_input_files(str(backup_file))
        new_phone.page.get_by_label("Its passphrase").fill("not the passphrase")
        new_phone.page.get_by_role("button", name="Restore my wallet").click()
        new_phone.page.get_by_text("That passphrase does not open this wallet.").wait_for()
        new_phone.page.get_by_label("Its passphrase").fill(PASSPHRASE)
        new_phone.page.get_by_role("button", name="Restore my wallet").click()
        new_phone.page.get_by_text("born 12 May 1990").wait_for()
        assert new_phone.page.locator("#id-commitment").inner_text().strip() == commitment
        new_phone.snap("restored")
    finally:
        new_phone.close()


def test_under_age_lapsed_coverage_and_revoked_are_refused_in_words(actors, browser, shot, tmp_path):
    url = actors["url"]
    phone = Phone(browser, shot, "bob")
    try:
        commitment = phone.create(url)
        young = issue_person(actors["registry"], commitment, dt.date(TODAY.year - 16, 3, 3))
        lapsed = issue_insurance(
            actors["insurer"], commitment, dt.date(TODAY.year - 1, 1, 1), dt.date(TODAY.year - 1, 12, 31)
        )
        # a pickup link pasted into the wallet, and a link opened directly
        phone.page.get_by_label("From a pickup link").fill(
            actors["registry"].create_pickup("civil-registry", young["credential"])
        )
        phone.page.get_by_role("button", name="Collect").click()
        phone.page.get_by_text(f"born {dt.date(TODAY.year - 16, 3, 3).day} March {TODAY.year - 16}").wait_for()
        phone.goto(actors["insurer"].create_pickup("insurer-a", lapsed["credential"]))
        phone.unlock()
        phone.page.get_by_text(f"insured 1 Jan – 31 Dec {TODAY.year - 1}").wait_for()
        phone.snap("credentials")

        age = actors["hospital"].create_request(
            "hospital-a", "hospital-a/visits", ["civil-registry"], "age_at_least", years=18
        )
        phone.goto(f"{url}/wallet#request={age['request_id']}")
        phone.unlock()
        phone.page.get_by_text("You cannot answer yes. You are under 18").wait_for()
        assert phone.page.get_by_role("button", name="Answer with a proof").is_hidden()
        phone.snap("under-age")
        # a holder who cannot answer downloads what one who can does (the prover's warm-up), so the
        # service cannot tell them apart by what the consent screen fetched
        phone.page.wait_for_selector("body[data-prover=ready]", timeout=120_000)
        assert phone.sent.carrying("circuit.zkey")
        assert not phone.sent.carrying("/tiles/")

        covered = actors["hospital"].create_request("hospital-a", "hospital-a/visits", ["insurer-a"], "insured_on")
        phone.goto(f"{url}/wallet#request={covered['request_id']}")
        phone.unlock()
        phone.page.get_by_text(f"Your coverage ended on 31 December {TODAY.year - 1}").wait_for()
        phone.snap("coverage-ended")

        # an adult credential its issuer revoked: the wallet finds out from the tiles and says so
        adult = issue_person(actors["registry"], commitment, dt.date(1980, 6, 1))
        actors["registry"].revoke("civil-registry", adult["leaf_index"])
        phone.page.get_by_role("button", name="Close").click()
        (tmp_path / "adult.json").write_text(json.dumps(adult))
        phone.page.get_by_label("From a file").set_input_files(str(tmp_path / "adult.json"))
        phone.page.get_by_text("born 1 June 1980").wait_for()
        again = actors["hospital"].create_request(
            "hospital-a", "hospital-a/visits", ["civil-registry"], "age_at_least", years=18
        )
        phone.page.evaluate(f"location.hash = 'request={again['request_id']}'")
        phone.page.get_by_role("button", name="Answer with a proof").click()
        phone.page.get_by_text("This credential was withdrawn (revoked) by civil-registry").wait_for(timeout=120_000)
        phone.snap("revoked")

        # nothing was sent for any of these questions
        assert not any("/presentations" in r.url for r in phone.sent)
        assert phone.errors == []
    finally:
        phone.close()


def write_y4m(path, text: str, frames: int = 10) -> None:
    """A still video of `text` as a QR code (YUV 4:2:0), for Chromium's fake camera."""
    import segno

    rows = [[1 if dark else 0 for dark in row] for row in segno.make(text, error="m").matrix_iter(scale=8, border=4)]
    h, w = len(rows) + len(rows) % 2, len(rows[0]) + len(rows[0]) % 2
    luma = bytearray(255 for _ in range(w * h))
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                luma[y * w + x] = 16
    chroma = bytes([128]) * ((w // 2) * (h // 2) * 2)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + bytes(luma) + chroma)


def test_a_credential_scanned_with_the_camera(actors, browser, shot, tmp_path):
    """The camera path, with Chromium's fake camera playing a QR code of a one-time pickup link."""
    from web_fixtures import CHROMIUM_ARGS, chromium_executable

    camera_browser = browser.browser_type.launch(
        executable_path=chromium_executable(),
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={tmp_path / 'qr.y4m'}",
        ],
    )
    try:
        phone = Phone(camera_browser, shot, "erin")
        phone.context.grant_permissions(["camera"], origin=actors["url"])
        commitment = phone.create(actors["url"])
        issued = issue_person(actors["registry"], commitment, dt.date(2001, 2, 28))
        write_y4m(tmp_path / "qr.y4m", actors["registry"].create_pickup("civil-registry", issued["credential"]))
        phone.page.get_by_role("button", name="Scan a QR code with the camera").click()
        phone.page.get_by_text("born 28 February 2001").wait_for(timeout=30_000)
        assert phone.page.locator("#camera").is_hidden()  # the camera is off again
        phone.snap("scanned")
        assert phone.errors == []
    finally:
        camera_browser.close()


def test_side_by_side_the_desk_asks_and_the_wallet_answers(actors, browser, page, shot, tmp_path):
    """Issue 16's story with both pages: the desk (a desk-sized context) asks, the phone (its own context)
    follows the link, proves and sends; the desk shows "Eligible" within 2 s of the phone's receipt."""
    phone = Phone(browser, shot, "phone")
    try:
        commitment = phone.create(actors["url"])
        person = issue_person(actors["registry"], commitment, dt.date(1975, 8, 9))
        (tmp_path / "person.json").write_text(json.dumps(person))
        phone.page.get_by_label("From a file").set_input_files(str(tmp_path / "person.json"))
        phone.page.get_by_text("born 9 August 1975").wait_for()

        page.goto(actors["url"] + "/desk")
        page.get_by_label("API key").fill(actors["hospital_key"])
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Saint Mary's Hospital").first.wait_for()
        page.get_by_label("Question to ask").select_option("age_at_least")
        page.get_by_label("Minimum age in years").fill("18")
        page.get_by_text("Who vouches").click()
        page.get_by_label("Accepted issuers").fill("civil-registry")
        page.get_by_role("button", name="Show the question to the patient").click()
        page.get_by_role("img", name="QR code of the request link").wait_for()
        link = page.locator("#link").inner_text().strip()
        assert "/wallet#request=" in link
        shot("desk-asks")

        phone.context.add_init_script(EARLY_TAP_WATCH)
        phone.goto(link)
        phone.unlock()
        phone.page.get_by_text("Are you 18 or older?").wait_for()
        answer = phone.page.get_by_role("button", name="Answer with a proof")
        expect(answer).to_be_enabled(timeout=30_000)
        # never tappable before the wallet chose the credential it will answer with
        assert phone.page.evaluate("window.__tappableEarly") is False
        answer.click()
        phone.page.locator("#outcome").get_by_text("Accepted").wait_for(timeout=120_000)
        answered = time.perf_counter()
        page.get_by_text("Eligible: 18 or older").first.wait_for(timeout=2000)
        assert time.perf_counter() - answered < 2.0
        shot("desk-eligible")
        phone.snap("answered")
        assert phone.errors == []
    finally:
        phone.close()


def test_foreign_or_broken_credentials_expired_credentials_and_expired_requests_are_refused(
    actors, browser, shot, tmp_path
):
    phone = Phone(browser, shot, "carol")
    # a request that lives 10 s (the shortest a verifier may ask for): expired by the time it is opened
    short = actors["hospital"]._call(
        "POST",
        "/v1/verifiers/hospital-a/requests",
        {
            "scope": "hospital-a/visits",
            "issuers": ["civil-registry"],
            "preset": "age_at_least",
            "params": {"years": 18},
            "ttl_s": 10,
        },
    )
    try:
        phone.create(actors["url"])
        someone_else = issue_person(actors["registry"], str(cr.id_commitment(cr.new_secret())), dt.date(1985, 1, 1))
        (tmp_path / "other.json").write_text(json.dumps(someone_else))
        phone.page.get_by_label("From a file").set_input_files(str(tmp_path / "other.json"))
        phone.page.get_by_text("This credential was issued to another wallet").wait_for()
        (tmp_path / "broken.json").write_text('{"schema": "person.v1", "slots": [1]}')
        phone.page.get_by_label("From a file").set_input_files(str(tmp_path / "broken.json"))
        phone.page.get_by_text("This is not a valid credential").wait_for()
        phone.snap("refused-import")
        assert phone.page.get_by_text("No credential yet").is_visible()

        # a credential past its expiry is kept and shown, but cannot answer
        commitment = phone.page.locator("#id-commitment").inner_text().strip()
        order = {
            "schema": "person.v1",
            "id_commitment": commitment,
            "expiry": TODAY - dt.timedelta(days=1),
            "attributes": {"birthdate": dt.date(1985, 1, 1), "country": 250},
        }
        expired = actors["registry"].issue("civil-registry", [order])["credentials"][0]
        (tmp_path / "expired.json").write_text(json.dumps(expired))
        phone.page.get_by_label("From a file").set_input_files(str(tmp_path / "expired.json"))
        phone.page.get_by_text("born 1 January 1985").wait_for()
        age = actors["hospital"].create_request(
            "hospital-a", "hospital-a/visits", ["civil-registry"], "age_at_least", years=18
        )
        phone.page.evaluate(f"location.hash = 'request={age['request_id']}'")
        yesterday = TODAY - dt.timedelta(days=1)
        phone.page.get_by_text(f"Your credential expired on {yesterday.day} {yesterday:%B %Y}").wait_for()
        phone.snap("expired-credential")

        time.sleep(max(0.0, short["expires_at_ms"] / 1000 - time.time() + 0.5))
        phone.page.get_by_role("button", name="Close").click()
        phone.page.evaluate(f"location.hash = 'request={short['request_id']}'")
        phone.page.get_by_text("This request has expired. Ask for a new one.").wait_for()
        assert phone.page.get_by_text("(expired)").is_visible()
        phone.snap("expired-request")
    finally:
        phone.close()
