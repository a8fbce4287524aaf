from django.urls import path

from labdb.web import imports, views

urlpatterns = [
    path("", views.home, name="home"),
    path("<slug:slug>/import/", imports.import_file, name="import"),
    path("<slug:slug>/import/template.csv", imports.import_template, name="import-template"),
    path("<slug:slug>/", views.record_list, name="list"),
    path("<slug:slug>/new/", views.record_edit, name="create"),
    path("<slug:slug>/<str:key>/", views.record_detail, name="detail"),
    path("<slug:slug>/<str:key>/edit/", views.record_edit, name="edit"),
    path("<slug:slug>/<str:key>/history.csv", views.record_history, name="history"),
]
