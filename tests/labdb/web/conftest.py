"""Fixtures for the web pages: real files ingested through the normal pipeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from labdb import models as m
from labdb.services.catalog import record_save
from labdb.services.ingest import data_file_register
from tests.labdb.test_ingest_and_jobs import bdf_csv


@pytest.fixture
def blobs(settings: Any, tmp_path: Path) -> Path:
    settings.BLOB_DIR = tmp_path / "blobs"
    cache.clear()  # derived plot series are cached by parsed-table sha256
    return settings.BLOB_DIR


def make_run(
    project: m.Project, user: Any, label: str, subject: str, protocol: str, **kw: Any
) -> m.TestRun:
    cell = m.Cell.objects.filter(label=subject).first()
    batch = None if cell else m.ElectrodeBatch.objects.get(label=subject)
    return record_save(
        record=m.TestRun(
            project=project,
            label=label,
            cell=cell,
            electrode_batch=batch,
            protocol=m.TestProtocol.objects.get(label=protocol),
            **kw,
        ),
        user=user,
    )


@pytest.fixture
def ingest(
    blobs: Path, demo_user: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> Callable[[m.TestRun, bytes, str], m.AnalysisJob]:
    """Register bytes on a run and run its analysis (tasks are eager); returns the job."""

    def register(run: m.TestRun, data: bytes, name: str) -> m.AnalysisJob:
        with django_capture_on_commit_callbacks(execute=True):
            registered = data_file_register(
                test_run=run, chunks=[data], original_name=name, user=demo_user, source="web"
            )
        job = registered.job
        assert job is not None
        job.refresh_from_db()
        assert job.status == "succeeded", job.error
        return job

    return register


@pytest.fixture
def cycling(demo: m.Project, demo_user: Any, ingest: Any) -> m.AnalysisResult:
    """Five plating/stripping cycles of MgAgSn-E-HC1 at CE 0.98 (1 mAh/cm2 each)."""
    run = make_run(demo, demo_user, "MgAgSn-E-HC1-PS", "MgAgSn-E-HC1", "PS-1mA-1mAh")
    return ingest(run, bdf_csv(cycles=5, ce=0.98), "hc1.csv").result  # type: ignore[no-any-return]


@pytest.fixture
def overshoot(demo: m.Project, demo_user: Any, ingest: Any) -> m.AnalysisResult:
    """MgAgSn-E-HC2 stripping 130 % of what was plated, four cycles; HC1 a normal 98 %."""
    run = make_run(demo, demo_user, "MgAgSn-E-HC1-PS", "MgAgSn-E-HC1", "PS-1mA-1mAh")
    ingest(run, bdf_csv(cycles=4, ce=0.98), "hc1.csv")
    run = make_run(demo, demo_user, "MgAgSn-E-HC2-PS", "MgAgSn-E-HC2", "PS-1mA-1mAh")
    return ingest(run, bdf_csv(cycles=4, ce=1.3), "hc2.csv").result  # type: ignore[no-any-return]


def peis_bytes(formulation: str, after: int, tmp: Path) -> bytes:
    from analysis.simulate.eis import post_cycling_spectrum
    from analysis.simulate.writers import InstrumentInfo, write_peis_mpt

    info = InstrumentInfo(
        device="VSP-300",
        serial="1",
        channel=1,
        started=dt.datetime(2024, 5, 1, 10),
        file_stem=f"eis{after}",
    )
    path = write_peis_mpt(
        tmp / f"eis{after}.mpt", [post_cycling_spectrum(formulation, after, seed=after)], info
    )
    return path.read_bytes()


@pytest.fixture
def eis_after(
    demo: m.Project, demo_user: Any, ingest: Any, tmp_path: Path
) -> dict[int, m.AnalysisResult]:
    """EIS of MgAgSn-E-HC1 after 5 and 10 cycles."""
    out = {}
    for after in (5, 10):
        run = make_run(
            demo,
            demo_user,
            f"MgAgSn-E-HC1-EIS-{after}",
            "MgAgSn-E-HC1",
            "EIS-POST",
            after_cycles=after,
        )
        out[after] = ingest(
            run, peis_bytes("MgAgSn-Elastane", after, tmp_path), f"e{after}.mpt"
        ).result
    return out


@pytest.fixture
def peel(demo: m.Project, demo_user: Any, ingest: Any, tmp_path: Path) -> m.AnalysisResult:
    from analysis.simulate.mechanics import write_demo_set

    paths = write_demo_set(tmp_path / "mech", seed=0)
    run = make_run(demo, demo_user, "E-B1-PEEL", "MgAgSn-Elastane-B1", "PEEL-180")
    return ingest(run, paths["peel_elastane"].read_bytes(), "peel.csv").result  # type: ignore[no-any-return]
