"""Per-channel health pages: every instrument channel with runs, and one channel's cells
across formulations and studies (reads :mod:`labdb.selectors.channels`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from labdb import models as m
from labdb.selectors.access import get_visible
from labdb.selectors.channels import channel_health, channel_list
from labdb.web.flags import pct_pm


def _pct(value: float | None, digits: int = 3, sign: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value * 100:{'+' if sign else ''}.{digits}f} %"


@login_required
def channel_list_page(request: HttpRequest) -> HttpResponse:
    return render(request, "channels/list.html", {"channels": channel_list(request.user)})


@login_required
def channel_page(request: HttpRequest, key: str, channel: str) -> HttpResponse:
    instrument = get_visible(m.Instrument, request.user, key)
    health = channel_health(request.user, instrument, "" if channel == "-" else channel)
    rows = [
        {
            "r": r,
            "average": pct_pm(r.average_ce, r.average_ce_bound, 3),
            "residual": _pct(r.residual, sign=True),
        }
        for r in health.runs
    ]
    t, o = health.trend, health.offset
    summary = {
        "slope": None if t.slope_per_day is None else _pct(t.slope_per_day, 4, True) + " per day",
        "offset": None if o.mean is None else _pct(o.mean, sign=True),
        "offset_ci": None
        if o.ci_low is None
        else f"95 % CI {_pct(o.ci_low, sign=True)} to {_pct(o.ci_high, sign=True)}",
    }
    return render(
        request, "channels/detail.html", {"health": health, "rows": rows, "summary": summary}
    )
