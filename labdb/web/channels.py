"""Per-channel health pages: every instrument channel with runs, and one channel's cells
across formulations and studies (reads :mod:`labdb.selectors.channels`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from labdb import models as m
from labdb.selectors.access import get_visible
from labdb.selectors.channels import channel_health, channel_list


@login_required
def channel_list_page(request: HttpRequest) -> HttpResponse:
    return render(request, "channels/list.html", {"channels": channel_list(request.user)})


@login_required
def channel_page(request: HttpRequest, key: str, channel: str) -> HttpResponse:
    instrument = get_visible(m.Instrument, request.user, key)
    health = channel_health(request.user, instrument, "" if channel == "-" else channel)
    return render(request, "channels/detail.html", {"health": health})
