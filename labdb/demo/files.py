"""The demo study's raw data: simulated instrument files (see :mod:`analysis.simulate`; DEMO
DATA, not measurements), each registered on its test run through the normal pipeline, so the demo
exercises the same readers, jobs and analyses as real data.

Idempotent: the simulator is deterministic, so the same bytes land on the same test runs and
registering them again changes nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.db import transaction

from analysis.simulate import write_demo_study
from analysis.simulate.mechanics import write_demo_set
from labdb import models as m
from labdb.services.catalog import record_save
from labdb.services.ingest import Registered, data_file_register
from labdb.storage import read_chunks

#: mechanics demo file -> (subject label, protocol label, instrument label)
MECHANICS = {
    "peel_elastane": ("MgAgSn-Elastane-B1", "PEEL-180", "Peel-1"),
    "peel_pvdf": ("MgAgSn-PVDF-B1", "PEEL-180", "Peel-1"),
    "scratch_elastane": ("MgAgSn-Elastane-B1", "SCRATCH-2mm", "Scratch-1"),
    "scratch_pvdf": ("MgAgSn-PVDF-B1", "SCRATCH-2mm", "Scratch-1"),
    "indentation_elastane": ("MgAgSn-Elastane-B1", "INDENT-1mN", "Indenter-1"),
    "indentation_pvdf": ("MgAgSn-PVDF-B1", "INDENT-1mN", "Indenter-1"),
    "cv_mgagsn": ("MgAgSn-E-HC2", "CV-0.1mVs", "VSP-300-1"),
}


def _run(
    project: m.Project,
    user: Any,
    *,
    label: str,
    subject: str,
    protocol: str,
    instrument: str,
    after_cycles: int | None = None,
) -> m.TestRun:
    run = m.TestRun.objects.filter(project=project, label=label).first()
    if run is not None:
        return run
    cell = m.Cell.objects.filter(project=project, label=subject).first()
    batch = None if cell else m.ElectrodeBatch.objects.get(project=project, label=subject)
    return record_save(
        record=m.TestRun(
            project=project,
            label=label,
            cell=cell,
            electrode_batch=batch,
            protocol=m.TestProtocol.objects.get(project=project, label=protocol),
            instrument=m.Instrument.objects.get(project=project, label=instrument),
            after_cycles=after_cycles,
            status=m.TestRun.Status.FINISHED,
            operator=user,
        ),
        user=user,
    )


def _register(run: m.TestRun, path: Path, user: Any) -> Registered:
    with path.open("rb") as fh:
        return data_file_register(
            test_run=run,
            chunks=read_chunks(fh),
            original_name=path.name,
            user=user,
            source=m.DataFile.Source.DEMO,
        )


def demo_data_load(*, project: m.Project, user: Any) -> list[Registered]:
    """Simulate the demo study's files and register each on its test run."""
    registered: list[Registered] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for f in write_demo_study(root / "electrochemistry", seed=0):
            if f.after_cycles is not None:
                label = f"{f.cell_label}-EIS-{f.after_cycles}cyc"
            elif f.protocol_label == "EIS-INSITU-10min":
                label = f"{f.cell_label}-EIS-insitu"
            else:
                label = f"{f.cell_label}-{f.protocol_label}"
            with transaction.atomic():
                run = _run(
                    project,
                    user,
                    label=label,
                    subject=f.cell_label,
                    protocol=f.protocol_label,
                    instrument=f.instrument_label,
                    after_cycles=f.after_cycles,
                )
            registered.append(_register(run, f.path, user))
        for name, path in sorted(write_demo_set(root / "mechanics", seed=0).items()):
            subject, protocol, instrument = MECHANICS[name]
            with transaction.atomic():
                run = _run(
                    project,
                    user,
                    label=f"{subject}-{protocol}",
                    subject=subject,
                    protocol=protocol,
                    instrument=instrument,
                )
            registered.append(_register(run, path, user))
    return registered
