"""Who may do what: every endpoint and method against every role, with the expected status.

Roles: no credentials; a read, an upload and a read-write token of a project member; the member's
browser session; a user of another project; staff who is a member of no project.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from labdb import models as m
from tests.labdb.api.conftest import sha
from tests.labdb.test_ingest_and_jobs import bdf_csv

ROLES = ("anonymous", "read", "upload", "read-write", "member", "other-project", "staff")


def expect(
    anonymous: int, read: int, upload: int, rw: int, member: int, other: int, staff: int
) -> tuple[int, ...]:
    return (anonymous, read, upload, rw, member, other, staff)


# Shorthands for the common rows.
READ_ALL = expect(401, 200, 200, 200, 200, 200, 200)  # lists the outsider sees empty
READ_CATALOG_LIST = expect(401, 200, 403, 200, 200, 200, 200)
READ_CATALOG_DETAIL = expect(401, 200, 403, 200, 200, 404, 404)
READ_RUN_DETAIL = expect(401, 200, 200, 200, 200, 404, 404)
WRITE_DETAIL = expect(401, 403, 403, 200, 200, 404, 404)
NO_DELETE = expect(401, 403, 403, 405, 405, 405, 405)  # records are never deleted


def _catalog_rows(role: str) -> list[tuple[str, str, Any, tuple[int, ...]]]:
    """(method, path, body, expected) for the catalog collections."""
    tag = role.replace("-", "")
    return [
        ("get", "/api/v1/projects/", None, READ_CATALOG_LIST),
        ("get", "/api/v1/projects/anodeless-multiseed/", None, READ_CATALOG_DETAIL),
        ("post", "/api/v1/projects/", {"label": "x"}, expect(401, 403, 403, 405, 405, 405, 405)),
        ("get", "/api/v1/materials/", None, READ_CATALOG_LIST),
        ("get", "/api/v1/materials/Mg/", None, READ_CATALOG_DETAIL),
        # the outsider creates in their own (only) project; staff has none to create in
        (
            "post",
            "/api/v1/materials/",
            {"label": f"Zn-{tag}", "category": "seed_metal", "name": "Zn", "formula": "Zn"},
            expect(401, 403, 403, 201, 201, 201, 400),
        ),
        ("patch", "/api/v1/materials/Mg/", {"formula": "Mg (99.9%)"}, WRITE_DETAIL),
        (
            "put",
            "/api/v1/materials/Ag/",
            {"label": "Ag", "category": "seed_metal", "name": "Ag", "formula": "Ag"},
            WRITE_DETAIL,
        ),
        ("delete", "/api/v1/materials/Mg/", None, NO_DELETE),
        ("get", "/api/v1/lots/", None, READ_CATALOG_LIST),
        ("get", "/api/v1/lots/Mg-800nm-L1/", None, READ_CATALOG_DETAIL),
        (
            "post",
            "/api/v1/lots/",
            {
                "label": f"Mg-L2-{tag}",
                "material": "Mg",
                "supplier": "Alfa",
                "lot_number": f"MG-{tag}",
                "d50_nm": 500,
            },
            expect(401, 403, 403, 201, 201, 400, 400),  # another project's material: not found
        ),
        ("patch", "/api/v1/lots/Mg-800nm-L1/", {"purity_pct": 99.5}, WRITE_DETAIL),
        ("get", "/api/v1/formulations/", None, READ_CATALOG_LIST),
        ("get", "/api/v1/formulations/Mg-Elastane v1/", None, READ_CATALOG_DETAIL),
        (
            "post",
            "/api/v1/formulations/",
            {
                "label": f"F-{tag}",
                "name": f"F-{tag}",
                "components": [
                    {"lot": "Mg-800nm-L1", "role": "seed", "mass_fraction_pct": 90},
                    {"lot": "Elastane-L1", "role": "binder", "mass_fraction_pct": 10},
                ],
            },
            expect(401, 403, 403, 201, 201, 400, 400),
        ),
        ("patch", "/api/v1/formulations/Mg-Elastane v1/", {"notes": "n"}, WRITE_DETAIL),
        ("get", "/api/v1/electrode-batches/", None, READ_CATALOG_LIST),
        ("get", "/api/v1/electrode-batches/Mg-Elastane-B1/", None, READ_CATALOG_DETAIL),
        (
            "patch",
            "/api/v1/electrode-batches/Mg-Elastane-B1/",
            {"areal_loading_mg_cm2": 0.4},
            WRITE_DETAIL,
        ),
        ("get", "/api/v1/cells/", None, READ_CATALOG_LIST),
        ("get", "/api/v1/cells/MgAgSn-E-HC1/", None, READ_CATALOG_DETAIL),
        ("patch", "/api/v1/cells/MgAgSn-E-HC1/", {"status": "testing"}, WRITE_DETAIL),
        ("get", "/api/v1/instruments/", None, READ_CATALOG_LIST),
        ("get", "/api/v1/instruments/BCS-805-1/", None, READ_CATALOG_DETAIL),
        ("patch", "/api/v1/instruments/BCS-805-1/", {"serial_number": "S-1"}, WRITE_DETAIL),
        ("get", "/api/v1/protocols/", None, READ_CATALOG_LIST),
        ("get", "/api/v1/protocols/PS-1mA-1mAh/", None, READ_CATALOG_DETAIL),
        ("patch", "/api/v1/protocols/PS-1mA-1mAh/", {"description": "d"}, WRITE_DETAIL),
    ]


def _data_rows(
    role: str, run: m.TestRun, data_file: m.DataFile
) -> list[tuple[str, str, Any, tuple[int, ...]]]:
    job = data_file.jobs.get(kind="cycling")
    upload = bdf_csv(cycles=1, ce=0.9 + ROLES.index(role) / 100)
    return [
        ("get", "/api/v1/test-runs/", None, READ_ALL),
        ("get", f"/api/v1/test-runs/{run.label}/", None, READ_RUN_DETAIL),
        ("get", f"/api/v1/test-runs/{run.pk}/", None, READ_RUN_DETAIL),
        (
            "post",
            "/api/v1/test-runs/",
            {"cell": "Mg-E-HC1", "protocol": "PS-1mA-1mAh", "channel": "2"},
            expect(401, 403, 201, 201, 201, 400, 400),
        ),
        ("patch", f"/api/v1/test-runs/{run.label}/", {"status": "running"}, WRITE_DETAIL),
        ("delete", f"/api/v1/test-runs/{run.label}/", None, NO_DELETE),
        ("get", f"/api/v1/test-runs/{run.label}/files/", None, READ_RUN_DETAIL),
        (
            "post",
            f"/api/v1/test-runs/{run.label}/files/",
            {"file": SimpleUploadedFile(f"{role}.csv", upload), "sha256": sha(upload)},
            expect(401, 403, 201, 201, 201, 404, 404),
        ),
        ("get", f"/api/v1/test-runs/{run.label}/cycles/", None, READ_CATALOG_DETAIL),
        ("get", f"/api/v1/test-runs/{run.label}/cycles/?format=csv", None, READ_CATALOG_DETAIL),
        ("get", f"/api/v1/test-runs/{run.label}/metrics/", None, READ_CATALOG_DETAIL),
        ("get", "/api/v1/files/", None, READ_ALL),
        ("get", f"/api/v1/files/{data_file.pk}/", None, READ_RUN_DETAIL),
        ("get", f"/api/v1/files/{data_file.pk}/download/", None, READ_RUN_DETAIL),
        ("get", "/api/v1/jobs/", None, READ_ALL),
        ("get", f"/api/v1/jobs/{job.pk}/", None, READ_RUN_DETAIL),
        (
            "post",
            f"/api/v1/jobs/{job.pk}/rerun/",
            {"parameters": {"average_ce_first_cycle": 2 + ROLES.index(role)}},
            expect(401, 403, 403, 201, 201, 404, 404),
        ),
        ("get", "/api/v1/results/", None, READ_CATALOG_LIST),
        ("get", f"/api/v1/results/{job.pk}/", None, READ_CATALOG_DETAIL),
        ("get", "/api/v1/results/?format=parquet", None, READ_CATALOG_LIST),
    ]


PUBLIC = [
    ("get", "/api/v1/schema/", None, (200,) * 7),
    ("get", "/api/v1/docs/", None, (200,) * 7),
    ("get", "/api/v1/redoc/", None, (200,) * 7),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.django_db
def test_role_endpoint_matrix(
    role: str,
    clients: dict[str, Any],
    run: m.TestRun,
    analysed: m.DataFile,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = clients[role]
    index = ROLES.index(role)
    failures = []
    rows = [*_catalog_rows(role), *_data_rows(role, run, analysed), *PUBLIC]
    for method, path, body, expected in rows:
        fmt = "multipart" if isinstance(body, dict) and "file" in body else "json"
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(client, method)(path, body, format=fmt)
        if response.status_code != expected[index]:
            detail = getattr(response, "data", None) or response.content[:200]
            failures.append(
                f"{method.upper()} {path}: {response.status_code} != {expected[index]} ({detail})"
            )
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_other_projects_lists_show_nothing_of_ours(
    clients: dict[str, Any], analysed: m.DataFile
) -> None:
    for role in ("other-project", "staff"):
        for path in ("/api/v1/cells/", "/api/v1/test-runs/", "/api/v1/files/", "/api/v1/jobs/"):
            body = clients[role].get(path).json()
            labels = [r.get("label") or r.get("test_run") for r in body["results"]]
            assert "MgAgSn-E-HC1" not in labels and "MgAgSn-E-HC1-PS" not in labels, (role, path)
            assert body["count"] == 0, (role, path, labels)
