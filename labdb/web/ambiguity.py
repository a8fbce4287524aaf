"""A label that names records in several of the user's projects (labels are unique per project
only): the page says so and shows the search for that label, where each record is a link by
its UUID."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from labdb.selectors.access import AmbiguousLabel


class AmbiguousLabelMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, AmbiguousLabel) or request.path.startswith("/api/"):
            return None
        messages.error(request, f"{str(exc)[0].upper()}{str(exc)[1:]}: pick one below.")
        return HttpResponseRedirect(f"{reverse('search')}?{urlencode({'q': exc.key})}")
