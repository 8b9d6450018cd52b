"""/v1/statistics: counts per day as rows (day, metric, subject, detail, count), JSON or CSV.

    /v1/statistics/ledger   public: recounted from the ledger's entries and signed heads
    /v1/statistics/service  auditor: requests created and answers refused, which never reach the ledger

See service/stats.py for the metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from ..auth import require
from ..deps import State
from ..stats import COLUMNS, ledger_statistics, service_rows, to_csv
from .common import problem_responses

router = APIRouter(prefix="/v1/statistics", tags=["statistics"], responses=problem_responses(422))
Format = Query("json", pattern="^(json|csv)$", description="json, or csv with a header row")


def _answer(rows: list[dict], fmt: str, name: str, extra: dict):
    if fmt == "csv":
        return Response(to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="zkelig-{name}-statistics.csv"'})
    return {**extra, "columns": list(COLUMNS), "rows": rows}


@router.get("/ledger")
def ledger(format: str = Format, *, state: State):  # noqa: A002 - the query parameter's public name
    """Entries by kind, issuers, credentials issued and revoked per issuer, nullifiers per scope (by the
    name recorded on the ledger) and verifier, claims per payer: per UTC day of the signed head covering them."""
    stats = ledger_statistics(state.ledger.store)
    return _answer(stats.rows(), format, "ledger", {"size": stats.size, "checkpoint": stats.checkpoint})


@router.get("/service", dependencies=[Depends(require("auditor"))], responses=problem_responses(401, 403))
def service(format: str = Format, *, state: State):  # noqa: A002
    """Proof requests created and answers refused (with the reason), per verifier per day."""
    return _answer(service_rows(state.ledger.store), format, "service", {})
