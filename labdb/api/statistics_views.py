"""Study statistics and channel health through the API (the same selectors as /compare/ and
/channels/; definitions in docs/statistics.md)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from labdb import models as m
from labdb.api.selectors import get_record
from labdb.gcpause import gc_paused_view
from labdb.selectors import results as sel
from labdb.selectors.access import visible
from labdb.selectors.channels import channel_health, channel_list
from labdb.selectors.saved import (
    pinned_acceptances,
    pinned_results,
    saved_cells,
    saved_comparison,
)
from labdb.selectors.statistics import study_statistics, without_deviations


class ChannelSerializer(serializers.Serializer):  # type: ignore[type-arg]
    instrument = serializers.CharField(help_text="instrument label")
    instrument_id = serializers.UUIDField()
    channel = serializers.CharField(help_text="channel as the runs name it ('' for none)")
    runs = serializers.IntegerField(help_text="test runs on cells")
    cells = serializers.IntegerField()


SELECTION = [
    OpenApiParameter(
        "group", OpenApiTypes.STR, description=f"grouping, one of {sorted(sel.GROUPINGS)}"
    ),
    OpenApiParameter("cells", OpenApiTypes.STR, many=True, description="cell labels"),
    OpenApiParameter("kind", OpenApiTypes.STR, description="half or full"),
    OpenApiParameter("seed", OpenApiTypes.STR, description="seed set, e.g. Ag+Mg+Sn"),
    OpenApiParameter("binder", OpenApiTypes.STR),
    OpenApiParameter(
        "conforming", OpenApiTypes.BOOL, description="leave out cells with protocol deviations"
    ),
    OpenApiParameter(
        "saved",
        OpenApiTypes.UUID,
        description="a saved comparison: its pinned cells, results and acceptances of "
        "implausible values (the other filters are then ignored)",
    ),
]


@extend_schema(
    summary="Study statistics of a selection of cells",
    description=(
        "Per group and metric: n, mean, sd, t-based 95 % CI, values, outliers (modified "
        "z-score > 3.5); every pair of groups: Welch's t with Hedges' g and Mann-Whitney U "
        "with the rank-biserial r, p Holm-adjusted; Kaplan-Meier curves of cycles to short "
        "with pairwise log-rank tests."
    ),
    parameters=SELECTION,
    responses={
        200: OpenApiTypes.OBJECT,
        400: OpenApiResponse(OpenApiTypes.OBJECT, description="unknown grouping"),
        404: OpenApiResponse(OpenApiTypes.OBJECT, description="no such saved comparison"),
    },
    tags=["statistics"],
)
@api_view(["GET"])
@gc_paused_view  # 10,000 cells build about 225,000 objects (labdb.gcpause)
def statistics(request: Request) -> Response:
    q = request.query_params
    by = q.get("group") or "formulation"
    if by not in sel.GROUPINGS:
        return Response({"group": f"unknown grouping {by!r}; one of {sorted(sel.GROUPINGS)}"}, 400)
    accepted = None  # the acceptances standing now
    results: list[m.AnalysisResult] | None = None  # None: each run's newest, chosen in SQL
    if q.get("saved"):
        saved = saved_comparison(request.user, q["saved"])
        if saved is None:
            return Response({"saved": f"no saved comparison {q['saved']!r} of yours"}, 404)
        cells = saved_cells(request.user, saved)
        infos = list(sel.cell_infos(cells).values())
        results = pinned_results(saved, cells, None)
        accepted = pinned_acceptances(saved)
    else:
        infos = sel.comparison_cells(
            request.user,
            labels=[v for v in q.getlist("cells") if v],
            kind=q.get("kind", ""),
            seed=q.get("seed", ""),
            binder=q.get("binder", ""),
            related=False,
        )
    metrics = sel.cell_metrics(request.user, [i.cell for i in infos], results)
    left_out: dict[str, list[str]] | None = None
    if q.get("conforming", "") in ("1", "true", "yes"):
        infos, left_out = without_deviations(request.user, infos, results)
    stats = study_statistics(
        sel.grouped(infos, by), metrics, by=by, left_out=left_out, accepted=accepted
    )
    return Response(stats.to_dict())


@extend_schema(
    summary="Instrument channels with runs",
    responses=ChannelSerializer(many=True),
    tags=["statistics"],
)
@api_view(["GET"])
def channels(request: Request) -> Response:
    return Response(channel_list(request.user))


@extend_schema(
    summary="One channel's health: its cells across studies, average-CE trend and offset",
    responses={200: OpenApiTypes.OBJECT, 404: OpenApiResponse(description="no such instrument")},
    tags=["statistics"],
)
@api_view(["GET"])
def channel(request: Request, key: str, channel: str) -> Response:
    instrument: Any = get_record(visible(m.Instrument, request.user), key, "instrument")
    health = channel_health(request.user, instrument, "" if channel == "-" else channel)
    return Response(health.to_dict())
