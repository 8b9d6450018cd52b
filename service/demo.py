"""`zkelig demo`: the whole story, over HTTP, against the real service on 127.0.0.1 and SQLite.

A civil registry issues 1,000 person credentials and an insurer 200 insurance credentials. Alice
keeps hers in a wallet at the service (a thin phone client); Bob proves on his own device. A
hospital asks: age ≥ 18? insured today? is this claim reimbursable? The same claim twice is
refused by its nullifier, a revoked credential is refused, a second enrolment in the same period
is detected through a shared scope, and a regulator audits the ledger through the API, checks
insurer A's signed total of reimbursed claims against the ledger's commitments, and a monitor
follows the ledger's signed heads.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import socket
import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

console = Console()

# Alice's attribute values: the log-capture test checks that none of them ever reaches a log.
ALICE_BIRTHDATE = dt.date(1988, 4, 17)
# Long, distinctive numbers, so that finding one in a log cannot be chance (a port, a random id).
ALICE_PLAN = 74_310_091
ALICE_CAP_CENTS = 51_234_567
ALICE_REGION = 31_337_123
PASSPHRASE = "alice's long wallet passphrase"
LOG_LEVEL = "warning"  # uvicorn's; records propagate to the root logger (tests capture them)
# The local service compiles its kernels on first use: minutes on a fresh machine's cold cache when
# other work shares the cores, so a request waits that long rather than failing the story.
REQUEST_TIMEOUT_S = 600.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """uvicorn serving the app on 127.0.0.1 in a background thread."""

    def __init__(self, app):
        import uvicorn

        self.port = _free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level=LOG_LEVEL, log_config=None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LocalServer:
        self.thread.start()
        deadline = time.time() + 60
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("the service did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


class Story:
    def __init__(self):
        self.rows: list[tuple[str, str, str, str]] = []
        self.failures = 0

    def check(self, what: str, expected: str, got: str, ms: float) -> None:
        ok = expected == got
        self.failures += not ok
        mark = "[green]✓[/green]" if ok else "[red]✗[/red]"
        self.rows.append((what, expected, f"{mark} {got}", f"{ms:,.0f} ms"))


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - t) * 1e3


def _decision(receipt: dict) -> str:
    body = receipt["body"]
    return "accepted" if body["decision"] == "accepted" else f"refused: {body['reason']}"


def _regulator_checks_funds_and_follows(story: Story, url: str, ledger_key: bytes, insurer_key, openings) -> None:
    """Insurer A publishes its signed total for today; the regulator checks it against the ledger's claim
    commitments (seeing no single amount), and a monitor verifies every signed head from the start."""
    from .client import ApiAuditSource
    from .funds import LedgerClaims, total_of
    from .monitor import HttpSource, Monitor, MonitorState, SplitView, Unreachable

    day = dt.datetime.now(dt.UTC).date()
    signed = total_of("insurer-a", day, day, openings).sign(insurer_key)
    result, ms = _timed(lambda: LedgerClaims.read(ApiAuditSource(url), ledger_key).check(signed))
    amount, n = signed["body"]["amount_cents"], signed["body"]["claims"]
    story.check(
        f"regulator: insurer A's signed total for {day} ({amount // 100:,}.{amount % 100:02d} over "
        f"{n} claim{'s' if n != 1 else ''}) matches the ledger's commitments",
        "checks",
        "checks" if result.ok else f"fails: {result.problem}",
        ms,
    )
    heads: list = []
    monitor = Monitor([HttpSource(url)], MonitorState(ledger_key))
    try:
        _, ms = _timed(lambda: monitor.poll(heads.append))
        verdict = "consistent"
    except (SplitView, Unreachable) as err:
        verdict, ms = f"INCONSISTENT: {err}", 0.0
    story.check(
        f"monitor: {len(heads)} signed heads verified, every entry replayed, no split view", "consistent", verdict, ms
    )


def run_demo(data_dir: Path | None = None) -> int:
    from circuits import credentials as cr
    from zkcore.errors import Unsatisfied

    from .app import create_app
    from .client import ApiAuditSource, ApiError, ZkeligClient
    from .deps import state_of
    from .funds import Opening
    from .keys import ensure_keys
    from .ledger import IssuerKey
    from .ledger.audit import audit
    from .settings import Settings
    from .verification import verify_receipt_signature

    story = Story()
    with Progress(transient=True, console=console) as bar:
        task = bar.add_task("trusted setup (cached after the first run)", total=None)
        keys, ms = _timed(
            lambda: ensure_keys(progress=lambda step: bar.update(task, description=step), replace_stale=True)
        )
    story.check(
        f"circuit keys: {keys.metadata['constraints']:,} constraints, 2 verified contributions", "ready", "ready", ms
    )

    workdir = Path(data_dir or tempfile.mkdtemp(prefix="zkelig-demo-"))
    admin_key = secrets.token_urlsafe(32)
    with console.status("starting the service on 127.0.0.1 (SQLite)…"):
        app = create_app(Settings(data_dir=workdir, admin_key=admin_key, dev_setup=True))
    today = state_of(app).today()  # the deployment's date (ZKELIG_TIMEZONE), as requests see it
    with LocalServer(app) as server:
        console.print(f"service on {server.url}, ledger in {workdir}")
        admin = ZkeligClient(server.url, admin_key, timeout=REQUEST_TIMEOUT_S)
        # Each issuer keeps its signing key: it signs every issuance and revocation (the audit checks
        # them) and, for insurer A, its published totals of reimbursed claims.
        registry = admin.enrol_issuer("civil-registry")
        insurer_a_key = IssuerKey.generate()
        insurer_a = admin.enrol_issuer("insurer-a", insurer_a_key)
        admin.enrol_issuer("insurer-b")
        hospital = admin.with_key(admin.create_key("verifier", "hospital-a"))
        enrol_a = admin.with_key(admin.create_key("verifier", "insurer-a"))
        enrol_b = admin.with_key(admin.create_key("verifier", "insurer-b"))
        # Duplicate enrolment is caught only in a scope both insurers ask in: the admin shares it
        # with them (and no one else may ask there, so no one else learns who enrolled).
        admin.register_scope(f"insurance-enrolment/{today.year}", ["insurer-a", "insurer-b"])
        regulator = admin.with_key(admin.create_key("auditor"))
        phone = ZkeligClient(server.url, timeout=REQUEST_TIMEOUT_S)

        # --- issuance ---------------------------------------------------------------------------
        def issue_population() -> int:
            issued = 0
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("civil registry issues 1,000 person credentials", total=1000)
                for start in range(0, 1000, 100):
                    orders = [
                        {
                            "schema": "person.v1",
                            "id_commitment": str(cr.id_commitment(cr.new_secret())),
                            "attributes": {
                                "birthdate": dt.date(1940, 1, 1) + dt.timedelta(days=(start + i) * 23),
                                "country": 528,
                            },
                            "expiry": today + dt.timedelta(days=3650),
                        }
                        for i in range(100)
                    ]
                    issued += len(registry.issue("civil-registry", orders)["credentials"])
                    bar.update(task, advance=100)
            coverage = {
                "plan": 1,
                "insured_from": today - dt.timedelta(days=200),
                "insured_until": today + dt.timedelta(days=165),
                "annual_cap_cents": 100_000,
                "region": 1,
            }
            orders = [
                {
                    "schema": "insurance.v1",
                    "id_commitment": str(cr.id_commitment(cr.new_secret())),
                    "attributes": coverage,
                    "expiry": today + dt.timedelta(days=365),
                }
                for _ in range(200)
            ]
            return issued + len(insurer_a.issue("insurer-a", orders)["credentials"])

        issued, ms = _timed(issue_population)
        story.check("issuers put 1,200 credential commitments on the ledger", "1200", str(issued), ms)

        wallet = phone.create_wallet(PASSPHRASE)
        alice_person = registry.issue(
            "civil-registry",
            [
                {
                    "schema": "person.v1",
                    "id_commitment": wallet["id_commitment"],
                    "attributes": {"birthdate": ALICE_BIRTHDATE, "country": 528},
                    "expiry": today + dt.timedelta(days=3650),
                }
            ],
        )
        alice_insurance = insurer_a.issue(
            "insurer-a",
            [
                {
                    "schema": "insurance.v1",
                    "id_commitment": wallet["id_commitment"],
                    "attributes": {
                        "plan": ALICE_PLAN,
                        "insured_from": today - dt.timedelta(days=100),
                        "insured_until": today + dt.timedelta(days=265),
                        "annual_cap_cents": ALICE_CAP_CENTS,
                        "region": ALICE_REGION,
                    },
                    "expiry": today + dt.timedelta(days=400),
                }
            ],
        )
        person_id = phone.store_credential(
            wallet["wallet_id"], PASSPHRASE, alice_person["credentials"][0]["credential"]
        )
        insurance_id = phone.store_credential(
            wallet["wallet_id"], PASSPHRASE, alice_insurance["credentials"][0]["credential"]
        )

        bob_secret = cr.new_secret()  # Bob proves on his device: his secret never leaves it
        bob_person = cr.Credential.from_json(
            registry.issue(
                "civil-registry",
                [
                    {
                        "schema": "person.v1",
                        "id_commitment": str(cr.id_commitment(bob_secret)),
                        "attributes": {"birthdate": today - dt.timedelta(days=16 * 365), "country": 528},
                        "expiry": today + dt.timedelta(days=3650),
                    }
                ],
            )["credentials"][0]["credential"]
        )
        bob_insurance = cr.Credential.from_json(
            insurer_a.issue(
                "insurer-a",
                [
                    {
                        "schema": "insurance.v1",
                        "id_commitment": str(cr.id_commitment(bob_secret)),
                        "attributes": {
                            "plan": 1,
                            "insured_from": today - dt.timedelta(days=30),
                            "insured_until": today + dt.timedelta(days=30),
                            "annual_cap_cents": 50_000,
                            "region": 2,
                        },
                        "expiry": today + dt.timedelta(days=60),
                    }
                ],
            )["credentials"][0]["credential"]
        )

        def ask(verifier, name, scope, issuers, preset, **params):
            return verifier.create_request(name, scope, issuers, preset, **params)["request_id"]

        def alice_answers(verifier, name, request_id, credential_id):
            presentation, prove_ms = _timed(
                lambda: phone.prove_with_wallet(wallet["wallet_id"], PASSPHRASE, credential_id, request_id)
            )
            receipt, verify_ms = _timed(lambda: verifier.submit(name, request_id, presentation))
            verify_receipt_signature(receipt, ledger_key)
            return receipt, prove_ms, verify_ms

        ledger_key = base64.b64decode(phone.ledger_key()["public_key"])

        # --- the hospital's questions -------------------------------------------------------------
        rid = ask(hospital, "hospital-a", f"hospital-a/visits/{today}", ["civil-registry"], "age_at_least", years=18)
        receipt, p_ms, v_ms = alice_answers(hospital, "hospital-a", rid, person_id)
        story.check(
            f"hospital: Alice is 18 or older (wallet proof {p_ms:,.0f} ms)", "accepted", _decision(receipt), v_ms
        )

        rid = ask(hospital, "hospital-a", f"hospital-a/visits/{today}", ["civil-registry"], "age_at_least", years=18)
        try:
            phone.prove_on_device(bob_person, bob_secret, rid, keys.pk)
            outcome = "proved"
        except Unsatisfied:
            outcome = "no proof exists"
        story.check("hospital: Bob (16) cannot prove he is 18", "no proof exists", outcome, 0.0)

        rid = ask(hospital, "hospital-a", f"hospital-a/coverage/{today}", ["insurer-a"], "insured_on")
        receipt, p_ms, v_ms = alice_answers(hospital, "hospital-a", rid, insurance_id)
        story.check(f"hospital: Alice is insured today (proof {p_ms:,.0f} ms)", "accepted", _decision(receipt), v_ms)

        claim = f"hospital-a/claims/{today.year}/claim-0042"

        def ask_claim() -> str:  # the same claim, asked twice: the second answer must be refused
            return ask(hospital, "hospital-a", claim, ["insurer-a"], "reimbursable", covered_plans=[3, ALICE_PLAN, 9],
                       claim_cents=120_000, day=today - dt.timedelta(days=3))

        rid = ask_claim()
        receipt, p_ms, v_ms = alice_answers(hospital, "hospital-a", rid, insurance_id)
        story.check(
            f"hospital: claim 0042 is reimbursable under Alice's plan (proof {p_ms:,.0f} ms)",
            "accepted",
            _decision(receipt),
            v_ms,
        )
        claim_openings = [Opening.from_json(receipt["body"]["funds"])] if "funds" in receipt["body"] else []
        rid = ask_claim()
        receipt, _, v_ms = alice_answers(hospital, "hospital-a", rid, insurance_id)
        story.check(
            "hospital: the same claim submitted again (same nullifier)",
            "refused: nullifier_reused",
            _decision(receipt),
            v_ms,
        )

        # --- revocation ---------------------------------------------------------------------------
        rid = ask(hospital, "hospital-a", f"hospital-a/coverage/{today}/bob", ["insurer-a"], "insured_on")
        bob_presentation, p_ms = _timed(lambda: phone.prove_on_device(bob_insurance, bob_secret, rid, keys.pk))
        insurer_a.revoke("insurer-a", bob_insurance.leaf_index)
        receipt, v_ms = _timed(lambda: hospital.submit("hospital-a", rid, bob_presentation))
        story.check(
            f"hospital: Bob's coverage, revoked after he proved on-device ({p_ms:,.0f} ms)",
            "refused: root_not_accepted",
            _decision(receipt),
            v_ms,
        )
        try:
            phone.path("insurer-a", bob_insurance.leaf_index)
            outcome = "path served"
        except ApiError as err:
            outcome = err.code
        story.check("Bob cannot fetch a membership path for the revoked credential", "bad_revocation", outcome, 0.0)

        # --- double enrolment ---------------------------------------------------------------------
        scope = f"insurance-enrolment/{today.year}"
        rid = ask(enrol_a, "insurer-a", scope, ["civil-registry"], "age_at_least", years=0)
        receipt, _, v_ms = alice_answers(enrol_a, "insurer-a", rid, person_id)
        story.check("insurer A enrols Alice (scope insurance-enrolment)", "accepted", _decision(receipt), v_ms)
        rid = ask(enrol_b, "insurer-b", scope, ["civil-registry"], "age_at_least", years=0)
        receipt, _, v_ms = alice_answers(enrol_b, "insurer-b", rid, person_id)
        story.check(
            "insurer B: a second enrolment in the same period is detected",
            "refused: nullifier_reused",
            _decision(receipt),
            v_ms,
        )

        # --- the regulator ------------------------------------------------------------------------
        report, ms = _timed(lambda: audit(ApiAuditSource(server.url), ledger_key))
        story.check(
            f"regulator audits {report.size:,} entries and {report.heads} signed heads over the API",
            "consistent",
            "consistent" if report.ok else f"INCONSISTENT: {report.problem}",
            ms,
        )
        stats = regulator.statistics()
        story.check(
            "regulator's statistics: nullifiers recorded (age, coverage, claim, enrolment)",
            "4 in 4 scopes",
            f"{stats['entries'].get('NULLIFIER', 0)} in {len(stats['nullifiers_per_scope'])} scopes",
            0.0,
        )
        _regulator_checks_funds_and_follows(story, server.url, ledger_key, insurer_a_key, claim_openings)
    table = Table(title="zkelig demo: eligibility without disclosure")
    for column in ("step", "expected", "outcome", "time"):
        table.add_column(column, justify="right" if column == "time" else "left")
    for row in story.rows:
        table.add_row(*row)
    console.print(table)
    console.print(
        "[green]every check passed[/green]" if not story.failures else f"[red]{story.failures} check(s) failed[/red]"
    )
    return 1 if story.failures else 0
