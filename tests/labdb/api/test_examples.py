"""The API documentation's examples are what the API really answers: a lab member's day through
the API (lot -> formulation -> batch -> cell -> test run -> upload -> job -> results ->
metrics -> cycles -> statistics) is replayed and every response is compared with its recorded
example in ``labdb/api/examples.json`` (keys, types and values; identifiers, times and the code
commit aside). ``LABDB_WRITE_API_EXAMPLES=1`` re-records the file after a deliberate change."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from labdb import models as m
from labdb.api.examples import EXAMPLES_FILE, recorded_examples
from tests.labdb.api.conftest import sha, token_client
from tests.labdb.test_ingest_and_jobs import bdf_csv

pytestmark = pytest.mark.django_db

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
#: values that differ between two honest runs of the same requests
VOLATILE_KEYS = {"code_commit"}
#: what Swagger UI makes up from a type when an operation has no example
PLACEHOLDERS = ("3fa85f64-5717-4562-b3fc-2c963f66afa6", '"string"', "2019-08-24")

#: the test client's host in absolute links, shown as a deployment's would be
TEST_HOST, DOCS_HOST = "http://testserver/", "https://labdb.example.org/"
CELL = "MgAgSn-E-HC9"
RUN = "MgAgSn-E-HC9-PS"


def day() -> list[tuple[dict[str, Any], Callable[[Any, dict[str, Any]], Any]]]:
    """The operations, in order: (example fields, call(client, ids) -> response). ``ids``
    carries identifiers of earlier answers to later requests."""
    data = bdf_csv(cycles=3, ce=0.98)

    def post(url: str, body: dict[str, Any]) -> Callable[[Any, dict[str, Any]], Any]:
        return lambda client, ids: client.post(url, body, format="json")

    def get(url: str) -> Callable[[Any, dict[str, Any]], Any]:
        return lambda client, ids: client.get(url.format(**ids))

    def upload(client: Any, ids: dict[str, Any]) -> Any:
        body = {"file": SimpleUploadedFile("HC9-plating.csv", data), "sha256": sha(data)}
        return client.post(f"/api/v1/test-runs/{RUN}/files/", body, format="multipart")

    lot = {
        "label": "Mg-800nm-L2",
        "material": "Mg",
        "supplier": "US Research Nanomaterials",
        "lot_number": "US7100-2026-11",
        "received_date": "2026-11-20",
        "d50_nm": 800,
        "purity_pct": 99.9,
    }
    formulation = {
        "label": "MgAgSn-Elastane-thin v1",
        "name": "MgAgSn-Elastane-thin",
        "solvent_lot": "DMAc-L1",
        "solids_content_pct": 20,
        "target_thickness_um": 10,
        "components": [
            {"lot": "Mg-800nm-L2", "role": "seed", "mass_fraction_pct": 30},
            {"lot": "Ag-30nm-L1", "role": "seed", "mass_fraction_pct": 30},
            {"lot": "Sn-150nm-L1", "role": "seed", "mass_fraction_pct": 30},
            {"lot": "Elastane-L1", "role": "binder", "mass_fraction_pct": 10},
        ],
    }
    batch = {
        "label": "MgAgSn-Elastane-B2",
        "formulation": "MgAgSn-Elastane-thin v1",
        "current_collector_lot": "SUS-foil-L1",
        "measured_thickness_um": 9.6,
        "areal_loading_mg_cm2": 0.42,
        "made_on": "2026-11-24",
        "operator": "J. Oh",
        "steps": [
            {"kind": "mixing", "method": "planetary mixer", "speed_rpm": 2000, "duration_h": 0.2},
            {"kind": "casting", "method": "doctor blade", "gap_um": 100},
            {"kind": "drying", "temperature_c": 80, "duration_h": 12, "atmosphere": "vacuum"},
        ],
    }
    cell = {
        "label": CELL,
        "kind": "half",
        "anode_batch": "MgAgSn-Elastane-B2",
        "lithium_lot": "Li-foil-L1",
        "electrolyte_lot": "LPSCl-L1",
        "electrolyte_thickness_um": 600,
        "area_cm2": 0.785,
        "stack_pressure_mpa": 5,
        "assembled_on": "2026-11-25",
        "operator": "J. Oh",
    }
    run = {
        "label": RUN,
        "cell": CELL,
        "protocol": "PS-1mA-1mAh",
        "instrument": "BCS-805-1",
        "channel": "7",
        "operator": "J. Oh",
    }
    stats = "/api/v1/statistics/?group=formulation&cells=MgAgSn-E-HC9"
    return [
        (
            {"name": "create_lot", "summary": "Register a lot of seed powder", "status": 201,
             "method": "post", "path": "/api/v1/lots/", "request": lot},
            post("/api/v1/lots/", lot),
        ),
        (
            {"name": "create_formulation", "summary": "Write a formulation (wt% adds to 100)",
             "status": 201, "method": "post", "path": "/api/v1/formulations/",
             "request": formulation},
            post("/api/v1/formulations/", formulation),
        ),
        (
            {"name": "create_batch", "summary": "Record an electrode batch with its steps",
             "status": 201, "method": "post", "path": "/api/v1/electrode-batches/",
             "request": batch},
            post("/api/v1/electrode-batches/", batch),
        ),
        (
            {"name": "create_cell", "summary": "Build a half cell from the batch", "status": 201,
             "method": "post", "path": "/api/v1/cells/", "request": cell},
            post("/api/v1/cells/", cell),
        ),
        (
            {"name": "create_test_run", "summary": "Start a plating/stripping test",
             "status": 201, "method": "post", "path": "/api/v1/test-runs/", "request": run},
            post("/api/v1/test-runs/", run),
        ),
        (
            {"name": "upload_file", "summary": "Upload the cycler's file (multipart: file, "
             "sha256); its analysis is queued", "status": 201, "method": "post",
             "path": "/api/v1/test-runs/{id_or_label}/files/", "request": None},
            upload,
        ),
        (
            {"name": "read_job", "summary": "Follow the analysis job", "status": 200,
             "method": "get", "path": "/api/v1/jobs/{id}/", "request": None,
             "url": "/api/v1/jobs/{job}/"},
            get("/api/v1/jobs/{job}/"),
        ),
        (
            {"name": "list_results", "summary": "The run's results (run metrics)",
             "status": 200, "method": "get", "path": "/api/v1/results/", "request": None,
             "url": f"/api/v1/results/?test_run={RUN}"},
            get(f"/api/v1/results/?test_run={RUN}"),
        ),
        (
            {"name": "read_metrics", "summary": "The run's metrics with units and definitions",
             "status": 200, "method": "get",
             "path": "/api/v1/test-runs/{id_or_label}/metrics/", "request": None,
             "url": f"/api/v1/test-runs/{RUN}/metrics/"},
            get(f"/api/v1/test-runs/{RUN}/metrics/"),
        ),
        (
            {"name": "read_cycles", "summary": "Per-cycle values (JSON; CSV and Parquet too)",
             "status": 200, "method": "get",
             "path": "/api/v1/test-runs/{id_or_label}/cycles/", "request": None,
             "url": f"/api/v1/test-runs/{RUN}/cycles/"},
            get(f"/api/v1/test-runs/{RUN}/cycles/"),
        ),
        (
            {"name": "statistics", "summary": "Study statistics of a selection of cells",
             "status": 200, "method": "get", "path": "/api/v1/statistics/", "request": None,
             "url": stats},
            get(stats),
        ),
    ]  # fmt: skip


def replay(demo_user: Any, capture: Any) -> list[dict[str, Any]]:
    """Run the day with a read-write key; the examples as they come out now."""
    client = token_client(demo_user, "read-write")
    ids: dict[str, Any] = {}
    out = []
    for fields, call in day():
        with capture(execute=True):
            response = call(client, ids)
        body = response.json()
        assert response.status_code == fields["status"], (fields["name"], body)
        if fields["name"] == "upload_file":
            ids["job"] = body["job"]["id"]
        url = (fields.pop("url", None) or fields["path"].replace("{id_or_label}", RUN)).format(
            **ids
        )
        body = json.loads(json.dumps(body).replace(TEST_HOST, DOCS_HOST))
        out.append(
            {**fields, "request_line": f"{fields['method'].upper()} {url}", "response": body}
        )
    return out


def normalised(value: Any, key: str = "") -> Any:
    """``value`` with what differs between honest runs replaced by a marker: identifiers,
    times, the code commit; floats to 9 significant digits."""
    if key in VOLATILE_KEYS:
        return "<volatile>"
    if isinstance(value, dict):
        return {k: normalised(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, str):
        return DATETIME.sub("<time>", UUID.sub("<uuid>", value))
    if isinstance(value, float) and math.isfinite(value) and value != 0:
        return float(f"{value:.9g}")
    return value


def test_every_example_is_what_the_api_answers(
    demo_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    replayed = replay(demo_user, django_capture_on_commit_callbacks)
    if os.environ.get("LABDB_WRITE_API_EXAMPLES"):
        EXAMPLES_FILE.write_text(json.dumps(replayed, indent=1, ensure_ascii=False) + "\n")
        recorded_examples.cache_clear()
    recorded = recorded_examples()
    assert [e["name"] for e in recorded] == [e["name"] for e in replayed]
    for old, new in zip(recorded, replayed, strict=True):
        assert normalised(old) == normalised(new), (
            f"{old['name']}: the API's answer differs from its example in "
            f"{EXAMPLES_FILE.name}; re-record with LABDB_WRITE_API_EXAMPLES=1 if intended"
        )
    upload = next(e for e in recorded if e["name"] == "upload_file")["response"]
    assert upload["job"]["status"] == "queued" and upload["original_name"] == "HC9-plating.csv"
    listed = next(e for e in recorded if e["name"] == "list_results")["response"]["results"]
    # the run's cycling result and the dQ/dV result that follows it (no headline metrics)
    by_kind = {r["kind"]: r for r in listed}
    assert len(listed) == 2 and set(by_kind) == {"cycling", "dqdv"}
    assert by_kind["cycling"]["initial_coulombic_efficiency"] == pytest.approx(0.98, abs=0.005)
    assert by_kind["dqdv"]["initial_coulombic_efficiency"] is None
    kinds = m.AnalysisResult.objects.filter(test_run__label=RUN).values_list("kind", flat=True)
    assert sorted(kinds) == ["cycling", "dqdv"]


def test_the_schema_shows_the_recorded_examples(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert recorded_examples(), "labdb/api/examples.json is missing"
    for entry in recorded_examples():
        operation = schema["paths"][entry["path"]][entry["method"]]
        response = operation["responses"][str(entry["status"])]["content"]["application/json"]
        assert response["examples"][entry["name"]]["value"] == entry["response"], entry["name"]
        if entry["request"] is not None:
            body = operation["requestBody"]["content"]["application/json"]
            assert body["examples"][entry["name"]]["value"] == entry["request"]
        text = json.dumps(entry)
        assert not any(p in text for p in PLACEHOLDERS), entry["name"]
