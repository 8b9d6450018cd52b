"""The hospital desk page in headless Chromium against a real `zkelig serve --workers 2`: sign in with the key,
ask a question in words, show the QR code and link, see the answer arrive live (a presentation made with the
Python SDK's prove_on_device and posted through the request link) within 2 s, the receipt checked in the
browser and downloadable, a second answer refused in words, an expired request shown as expired, and the
day's answers listed. Screenshots: tests/artifacts/test_desk_*/."""

import json
import re
import time

import pytest
from playwright.sync_api import expect

from service.receipts import check_receipt


@pytest.fixture(scope="module")
def world(desk_world):
    desk_world.hospital.set_profile("hospital-a", "Saint Mary's Hospital, front desk")
    return desk_world




def sign_in(page, world):
    page.goto(world.url + "/desk")
    page.get_by_label("API key").fill(world.hospital_key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Saint Mary's Hospital, front desk").wait_for()


def ask_age(page, years="18"):
    page.get_by_label("Question to ask").select_option("age_at_least")
    page.get_by_label("Minimum age in years").fill(years)
    page.get_by_text("Who vouches").click()
    page.get_by_label("Accepted issuers").fill("civil-registry")
    page.get_by_role("button", name="Show the question to the patient").click()
    page.get_by_role("img", name="QR code of the request link").wait_for()
    link = page.locator("#link").inner_text()
    return link.split("#request=")[1]


def test_desk_asks_and_shows_the_answer_live(world, page, shot, sent):
    page.goto(world.url + "/desk")
    shot("sign-in")
    page.get_by_label("API key").fill("zk_not_a_key")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Unknown API key.").wait_for()
    shot("wrong-key")
    page.get_by_label("API key").fill(world.hospital_key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Saint Mary's Hospital, front desk").wait_for()
    page.get_by_label("Question to ask").select_option("age_at_least")
    page.get_by_label("Minimum age in years").fill("18")
    assert page.locator("#preview").inner_text() == "Are you 18 or older?"
    shot("question")
    request_id = ask_age(page)
    assert page.get_by_text("Are you 18 or older?").first.is_visible()
    assert re.fullmatch(r"10:00|9:[45]\d", page.locator("#expiry .countdown").inner_text())
    shot("waiting-for-patient")

    presentation = world.prove(world.person, request_id)  # the patient's phone, on the device
    started = time.time()
    receipt = world.holder.present(request_id, presentation)
    # the outcome panel (the day's table below may already list earlier answers in the same words)
    page.get_by_role("status").get_by_text("Eligible: 18 or older").wait_for(timeout=2000)
    shown_after = time.time() - started
    assert receipt["body"]["decision"] == "accepted" and shown_after < 2.0, shown_after
    page.get_by_text("Receipt verified: signed by the ledger").wait_for(timeout=5000)
    assert "Answered in" in page.locator("#outcome").inner_text()
    assert page.locator("#expiry").inner_text() == "Answered: this code takes no more answers."
    assert not page.get_by_role("img", name="QR code of the request link").is_visible()
    shot("eligible")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download signed receipt").click()
    downloaded = json.loads(open(download.value.path()).read())
    assert downloaded == receipt
    assert check_receipt(downloaded, world.holder.ledger_key_bytes()).decision == "accepted"

    world.holder.present(request_id, presentation)  # a second answer to the same request
    page.get_by_role("status").get_by_text("Not accepted: this request was already answered").wait_for(timeout=2000)
    page.get_by_text("Receipt verified: signed by the ledger").wait_for(timeout=5000)
    shot("second-answer-refused")

    rows = page.locator("#today tr")
    assert rows.count() >= 2
    assert "Age at least 18" in rows.first.inner_text()
    # the desk spoke only to its own service, and no request carried anything but ids, the key and the question
    assert all(r.url.startswith(world.url) for r in sent), {r.url for r in sent}
    assert not sent.carrying(world.hospital_key), "the API key travels in a header, never in a URL or body"
    assert page.page_errors == []


def test_desk_shows_an_expired_request_as_expired(world, page, shot):
    page.clock.install()
    sign_in(page, world)
    ask_age(page)
    page.clock.fast_forward("10:01")
    page.get_by_text("Request expired").wait_for(timeout=3000)
    assert page.locator("#expiry").inner_text() == "This code has expired."
    assert not page.get_by_role("img", name="QR code of the request link").is_visible()  # nothing left to scan
    shot("expired")


def test_desk_explains_a_refused_claim_in_words(world, page, shot):
    sign_in(page, world)
    page.get_by_label("Question to ask").select_option("reimbursable")
    page.get_by_label("Claim amount").fill("1250")
    page.get_by_label("Plans that cover it").fill("7, 9")
    page.get_by_label("Claim reference").fill("0042")
    page.get_by_text("Who vouches").click()
    page.get_by_label("Accepted issuers").fill("insurer-a")
    assert "Is a claim of €1,250.00 on" in page.locator("#preview").inner_text()
    page.get_by_role("button", name="Show the question to the patient").click()
    page.get_by_role("img", name="QR code of the request link").wait_for()
    request_id = page.locator("#link").inner_text().split("#request=")[1]
    shot("claim-asked")
    first = world.prove(world.insurance, request_id)
    world.holder.present(request_id, first)
    page.get_by_role("status").get_by_text("Eligible: a claim of €1,250.00").wait_for(timeout=2000)
    # the same claim again, on a new request (same claim reference, so the same scope): refused by its nullifier
    page.get_by_role("button", name="Show the question to the patient").click()
    # a locator assertion, not wait_for_function: the page's CSP forbids the eval a string predicate needs
    expect(page.locator("#link")).to_contain_text(re.compile("#request=(?!" + re.escape(request_id) + ")"))
    again = page.locator("#link").inner_text().split("#request=")[1]
    world.holder.present(again, world.prove(world.insurance, again))
    page.get_by_role("status").get_by_text("Not accepted: this claim was already reimbursed").wait_for(timeout=2000)
    shot("claim-refused")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("claim-refused-phone-width")
