"""Statistics rows: recounted from a ledger's entries and signed heads (per UTC day of the covering
head), scopes by the name recorded on the ledger, incremental updates, CSV; refusals counted off
the request path."""

import csv
import datetime as dt
import io

from issuers import issue, register, revoke

from circuits import credentials as cr
from service import stats
from service.funds import Opening
from service.ledger import Ledger, LedgerKey, open_store

DAY_MS = 86_400_000


class Clock:
    def __init__(self, ms: int):
        self.ms = ms

    def __call__(self) -> float:
        return self.ms / 1000


def test_ledger_rows_per_day_with_scope_names(tmp_path):
    clock = Clock(1_790_000_000_000)  # 2026-09-21 UTC
    ledger = Ledger(open_store(f"sqlite:///{tmp_path / 'l.db'}"), LedgerKey.generate(), tree_depth=8, clock=clock)
    register(ledger, "insurer-a")
    issue(ledger, "insurer-a", [1, 2, 3])
    named = "hospital-a/claims/2026"
    ledger.use_nullifier(cr.scope_id(named), 11, "hospital-a", bytes(32), scope_name=named,
                         payment=("insurer-a", Opening.new("insurer-a", 500).commitment))
    ledger.use_nullifier(cr.scope_id("with space"), 12, "hospital-b", bytes(32))  # a name that is not recorded
    counted = stats.ledger_statistics(ledger.store)
    clock.ms += DAY_MS  # the next day
    revoke(ledger, "insurer-a", 1)
    ledger.use_nullifier(cr.scope_id(named), 13, "hospital-a", bytes(32), scope_name=named)
    assert stats.ledger_statistics(ledger.store) is counted  # brought up to date, not recounted
    rows = {(r["day"], r["metric"], r["subject"], r["detail"]): r["count"] for r in counted.rows()}
    day1, day2 = "2026-09-21", "2026-09-22"
    assert rows[(day1, "credentials_issued", "insurer-a", "")] == 3
    assert rows[(day2, "credentials_revoked", "insurer-a", "")] == 1
    assert rows[(day1, "nullifiers", named, "hospital-a")] == 1
    assert rows[(day2, "nullifiers", named, "hospital-a")] == 1
    assert rows[(day1, "nullifiers", f"{cr.scope_id('with space'):#066x}", "hospital-b")] == 1
    assert rows[(day1, "claims", "insurer-a", "")] == 1
    assert rows[(day1, "entries", "scope_name", "")] == 1 and (day2, "entries", "scope_name", "") not in rows
    assert sum(r["count"] for r in counted.rows() if r["metric"] == "entries") == ledger.size == counted.size
    parsed = list(csv.DictReader(io.StringIO(stats.to_csv(counted.rows()))))
    assert len(parsed) == len(counted.rows()) and parsed[0].keys() == set(stats.COLUMNS)
    ledger.close()


def test_refusals_and_requests_per_verifier_per_day(tmp_path):
    from service.records import Records

    store = open_store(f"sqlite:///{tmp_path / 'l.db'}")
    records = Records(store)
    records.save_request("hospital-a", {"x": 1})
    records.save_request("hospital-a", {"x": 2})
    for reason in ("invalid_proof", "invalid_proof", "nullifier_reused"):
        stats.record_refusal(store, "hospital-a", reason)
    rows = {(r["metric"], r["subject"], r["detail"]): (r["day"], r["count"]) for r in stats.service_rows(store)}
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert rows[("requests_created", "hospital-a", "")] == (today, 2)
    assert rows[("answers_refused", "hospital-a", "invalid_proof")] == (today, 2)
    assert rows[("answers_refused", "hospital-a", "nullifier_reused")] == (today, 1)
    stats.record_refusal(store, "hospital-a", "invalid_proof")  # added to the day's row, not a new one
    again = [r for r in stats.service_rows(store) if r["detail"] == "invalid_proof"]
    assert [r["count"] for r in again] == [3]
    store.close()
