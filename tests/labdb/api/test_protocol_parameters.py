"""Protocol parameters through the API: keys name their unit; old unit-less keys are refused."""

from __future__ import annotations

from typing import Any

import pytest

from labdb import models as m
from tests.labdb.api.conftest import token_client


@pytest.mark.django_db
def test_protocol_parameters_carry_their_unit_in_the_key(demo_user: Any, demo: m.Project) -> None:
    client = token_client(demo_user, "read-write")
    shown = client.get("/api/v1/protocols/PEEL-180/").json()["parameters"]
    assert shown == {"peel_angle_deg": 180.0, "peel_speed_mm_min": 50.0, "sample_width_mm": 20.0}

    r = client.patch(
        "/api/v1/protocols/PEEL-180/",
        {"parameters": {**shown, "sample_width": 10.0}},
    )
    assert r.status_code == 400
    assert "sample_width: unknown parameter 'sample_width'" in str(r.json())

    r = client.post(
        "/api/v1/protocols/",
        {
            "project": demo.label,
            "label": "CV-1mVs",
            "name": "CV 1 mV/s",
            "kind": "cv",
            "parameters": {
                "scan_rate_mV_s": 1.0,
                "lower_cutoff_voltage_V": 0.0,
                "upper_cutoff_voltage_V": 1.5,
            },
        },
    )
    assert r.status_code == 201, r.json()
    assert m.TestProtocol.objects.get(label="CV-1mVs").parameters["scan_rate_mV_s"] == 1.0
