"""The OpenAPI schema generates without warnings and validates; the docs are served locally."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.test import Client


def test_schema_generates_without_warnings_and_validates(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    paths = schema["paths"]
    for path in (
        "/api/v1/cells/",
        "/api/v1/test-runs/{id_or_label}/files/",
        "/api/v1/test-runs/{id_or_label}/cycles/",
        "/api/v1/test-runs/{id_or_label}/metrics/",
        "/api/v1/jobs/{id}/rerun/",
    ):
        assert path in paths, path
    upload = paths["/api/v1/test-runs/{id_or_label}/files/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"200", "201", "400", "413"} <= set(upload["responses"])
    cycles = paths["/api/v1/test-runs/{id_or_label}/cycles/"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv", "application/vnd.apache.parquet"} <= set(cycles)
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"


@pytest.mark.django_db
def test_docs_are_served_without_a_cdn(db: Any) -> None:
    client = Client()
    for url in ("/api/v1/docs/", "/api/v1/redoc/"):
        html = client.get(url).content.decode()
        assert "drf_spectacular_sidecar" in html, url
        assert "cdn.jsdelivr" not in html and "unpkg.com" not in html, url
