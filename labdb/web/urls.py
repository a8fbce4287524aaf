from django.urls import path

from labdb.web import (
    attachments,
    dashboards,
    imports,
    jobs,
    plots,
    search,
    tokens,
    upload,
    views,
)

urlpatterns = [
    path("", views.home, name="home"),
    path("tokens/", tokens.token_list, name="tokens"),
    path("tokens/<uuid:token_id>/revoke/", tokens.token_revoke_view, name="token-revoke"),
    path("attachments/<int:pk>/", attachments.attachment_download, name="attachment"),
    path("vendor/plotly-<str:version>.min.js", plots.plotly_js, name="plotly-js"),
    path("search/", search.search_page, name="search"),
    path("compare/", dashboards.compare_page, name="compare"),
    path("compare/plots/<slug:name>.<str:fmt>", plots.compare_plot, name="compare-plot"),
    path("jobs/", jobs.job_list, name="jobs"),
    path("jobs/status.json", jobs.job_status, name="job-status"),
    path("jobs/<uuid:pk>/", jobs.job_detail, name="job"),
    path("jobs/<uuid:pk>/rerun/", jobs.job_rerun_view, name="job-rerun"),
    path("upload/", upload.upload, name="upload"),
    path("<slug:slug>/<str:key>/attachments/", attachments.attachment_upload, name="attach"),
    path("<slug:slug>/import/", imports.import_file, name="import"),
    path("<slug:slug>/import/template.csv", imports.import_template, name="import-template"),
    path("<slug:slug>/", views.record_list, name="list"),
    path("<slug:slug>/new/", views.record_edit, name="create"),
    # dashboards: before the generic detail route
    path("cells/<str:key>/", dashboards.cell_page, name="cell"),
    path("cells/<str:key>/plots/<slug:name>.<str:fmt>", plots.cell_plot, name="cell-plot"),
    path("batches/<str:key>/", dashboards.batch_page, name="batch"),
    path("batches/<str:key>/plots/<slug:name>.<str:fmt>", plots.batch_plot, name="batch-plot"),
    path("<slug:slug>/<str:key>/", views.record_detail, name="detail"),
    path("<slug:slug>/<str:key>/edit/", views.record_edit, name="edit"),
    path("<slug:slug>/<str:key>/history.csv", views.record_history, name="history"),
]
