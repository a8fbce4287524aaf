"""Keyset pagination of the API's results list, newest first.

Page numbers (``?page=N``) make the database count every matching row and sort all of them
for each page (``OFFSET``): over a decade of a lab (50,000 results) that is most of a
request's time. In the default order (newest first, ``created_at`` then ``job_id`` to break
ties) a page is instead the rows after the last one the client saw: ``next`` carries that
row's key as an opaque ``cursor``, and the database walks the index ``result_newest_first``
(migration 0028) from there, whatever the page. Such a page has ``next`` and ``results`` and
no ``count``.

``?page=N`` or any other ``?ordering=`` keep the page-number form with its ``count``, as
before.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

#: the orderings that are the default one (newest first)
NEWEST_FIRST = ("", "-created_at")


def encode_cursor(created_at: Any, job_id: Any) -> str:
    raw = json.dumps([created_at.isoformat(), str(job_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[Any, uuid.UUID]:
    """(created_at, job_id) of a ``cursor``; a cursor this API did not write is refused."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        created, job = json.loads(raw)
        when = parse_datetime(created)
        if when is None:
            raise ValueError(created)
        return when, uuid.UUID(job)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise ValidationError({"cursor": "not a cursor of this list (take the next link)"}) from exc


class NewestFirstPagination(BasePagination):
    """Keyset pages in the default order, page numbers otherwise (module docstring)."""

    page_size = api_settings.PAGE_SIZE
    cursor_query_param = "cursor"

    def __init__(self) -> None:
        self.numbered: PageNumberPagination | None = None
        self.rows: list[Any] = []
        self.has_next = False
        self.request: Request | None = None

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> Sequence[Any] | None:
        params = request.query_params
        if "page" in params or params.get("ordering", "") not in NEWEST_FIRST:
            self.numbered = PageNumberPagination()
            self.numbered.page_size = self.page_size
            return self.numbered.paginate_queryset(queryset, request, view)
        self.request = request
        qs = queryset.order_by("-created_at", "-job_id")
        cursor = params.get(self.cursor_query_param)
        if cursor:
            created, job = decode_cursor(cursor)
            # the redundant created_at <= bounds the index scan; the OR breaks the ties
            qs = qs.filter(created_at__lte=created).filter(
                Q(created_at__lt=created) | Q(created_at=created, job_id__lt=job)
            )
        rows = list(qs[: self.page_size + 1])
        self.has_next = len(rows) > self.page_size
        self.rows = rows[: self.page_size]
        return self.rows

    def get_paginated_response(self, data: Any) -> Response:
        if self.numbered is not None:
            return self.numbered.get_paginated_response(data)
        return Response({"next": self.get_next_link(), "results": data})

    def get_next_link(self) -> str | None:
        if not self.has_next or self.request is None:
            return None
        last = self.rows[-1]
        url = remove_query_param(self.request.build_absolute_uri(), "page")
        return replace_query_param(
            url, self.cursor_query_param, encode_cursor(last.created_at, last.job_id)
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": "with ?page= or another ordering only",
                },
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "with ?page= or another ordering only",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "the next page's key, from the previous page's next link",
                "schema": {"type": "string"},
            },
            *PageNumberPagination().get_schema_operation_parameters(view),
        ]
