"""The global search page (the box in every page's header posts here)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from labdb.selectors.search import global_search


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    groups = global_search(request.user, q)
    return render(
        request,
        "search.html",
        {"q": q, "groups": groups, "total": sum(g["total"] for g in groups)},
    )
