"""A lot's questions in one place: the cells built from it with their key metrics (on its
page and as CSV) and its quarantine."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from labdb import models as m
from labdb.exports.spreadsheet import safe_row
from labdb.selectors.access import get_visible
from labdb.selectors.lots import cells_of_lot
from labdb.services.lots import lot_quarantine
from labdb.web.entities import url_for
from labdb.web.flags import pct

#: the columns of the lot's cell table and CSV
CELL_COLUMNS = (
    "cell",
    "kind",
    "status",
    "electrode batch",
    "ICE (%)",
    "average CE (%)",
    "cumulative CE (%)",
    "cycles",
    "short at cycle",
    "capacity retention (%)",
)


def lot_cell_rows(lot: m.MaterialLot, user: object) -> list[tuple[m.Cell, list[str]]]:
    """(cell, values in CELL_COLUMNS order after the label) of every cell built from ``lot``."""
    rows = []
    for cell, cm in cells_of_lot(lot, user):

        def num(v: float | None, digits: int = 2) -> str:
            return "" if v is None else pct(v, digits).removesuffix(" %")

        rows.append(
            (
                cell,
                [
                    cell.get_kind_display(),
                    cell.get_status_display(),
                    str(cell.anode_batch),
                    num(cm.ice),
                    num(cm.average_ce, 3),
                    num(cm.cumulative_ce),
                    "" if cm.cycles is None else str(cm.cycles),
                    "" if cm.short_circuit_cycle is None else str(cm.short_circuit_cycle),
                    num(cm.retention, 1),
                ],
            )
        )
    return rows


@login_required
def lot_cells_csv(request: HttpRequest, key: str) -> HttpResponse:
    lot = get_visible(m.MaterialLot, request.user, key)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{lot.label}-cells.csv"'
    writer = csv.writer(response)
    writer.writerow(CELL_COLUMNS)
    for cell, values in lot_cell_rows(lot, request.user):
        writer.writerow(safe_row([cell.label, *values]))
    return response


@login_required
@require_POST
def lot_quarantine_view(request: HttpRequest, key: str) -> HttpResponse:
    lot = get_visible(m.MaterialLot, request.user, key)
    hold = request.POST.get("quarantined") == "1"
    try:
        lot_quarantine(
            lot=lot, quarantined=hold, reason=request.POST.get("reason", ""), user=request.user
        )
    except ValidationError as exc:
        messages.error(request, "Not done: " + " ".join(exc.messages))
    else:
        messages.success(
            request, f"{lot.label} is {'in quarantine' if hold else 'released from quarantine'}."
        )
    return redirect(url_for(lot))
