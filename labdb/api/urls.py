"""``/api/v1/``: the collections, the OpenAPI schema and its documentation (served from the app,
no CDN)."""

from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from labdb.api import (
    alert_views,
    data_views,
    eis_views,
    export_views,
    schema,
    statistics_views,
    views,
)

__all__ = ["schema"]  # registers the token scheme with drf-spectacular

app_name = "api"

router = DefaultRouter()
router.register("projects", views.ProjectViewSet, basename="project")
router.register("materials", views.MaterialViewSet, basename="material")
router.register("lots", views.MaterialLotViewSet, basename="lot")
router.register("formulations", views.FormulationViewSet, basename="formulation")
router.register("electrode-batches", views.ElectrodeBatchViewSet, basename="batch")
router.register("cells", views.CellViewSet, basename="cell")
router.register("instruments", views.InstrumentViewSet, basename="instrument")
router.register("protocols", views.TestProtocolViewSet, basename="protocol")
router.register("test-runs", data_views.TestRunViewSet, basename="testrun")
router.register("files", data_views.DataFileViewSet, basename="file")
router.register("jobs", data_views.JobViewSet, basename="job")
router.register("results", data_views.ResultViewSet, basename="result")
router.register("eis-spectra", eis_views.EISSpectrumViewSet, basename="eis-spectrum")
router.register("alerts", alert_views.AlertViewSet, basename="alert")
router.register("alert-rules", alert_views.AlertRuleViewSet, basename="alertrule")
router.register("alert-settings", alert_views.AlertSettingsViewSet, basename="alertsettings")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view serves its start-up script as a file: no inline script (the CSP forbids it)
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("statistics/", statistics_views.statistics, name="statistics"),
    path("channels/", statistics_views.channels, name="channels"),
    path("exports/", export_views.export_create, name="exports"),
    path("exports/<uuid:pk>/", export_views.export_detail, name="export"),
    path("exports/<uuid:pk>/download/", export_views.export_download, name="export-download"),
    path(
        "instruments/<str:key>/channels/<str:channel>/",
        statistics_views.channel,
        name="channel",
    ),
    path("", include(router.urls)),
]
