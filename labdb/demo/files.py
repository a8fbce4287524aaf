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


class _Channels:
    """The channel each demo subject (cell or batch) is connected to, per instrument: the
    subjects in the order their first file comes, on channels 1, 2, ... of the instrument,
    starting again at 1 past its channel count (a channel taken again once free). A cell's
    cycling and its EIS on the potentiostat each keep one channel, so the channel view groups
    a cell's runs together."""

    def __init__(self, project: m.Project) -> None:
        self.project = project
        self.taken: dict[tuple[str, str], str] = {}

    def of(self, instrument: str, subject: str) -> str:
        key = (instrument, subject)
        if key not in self.taken:
            count = m.Instrument.objects.get(project=self.project, label=instrument).channels
            used = sum(1 for i, _ in self.taken if i == instrument)
            self.taken[key] = str(used % max(count, 1) + 1)
        return self.taken[key]


def _run(
    project: m.Project,
    user: Any,
    *,
    label: str,
    subject: str,
    protocol: str,
    instrument: str,
    channel: str = "",
    after_cycles: int | None = None,
) -> m.TestRun:
    run = m.TestRun.objects.filter(project=project, label=label).first()
    if run is not None:
        if channel and not run.channel:  # a demo loaded before channels were recorded
            run.channel = channel
            record_save(record=run, user=user)
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
            channel=channel,
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
    channels = _Channels(project)
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
                    channel=channels.of(f.instrument_label, f.cell_label),
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
                    channel=channels.of(instrument, subject),
                )
            registered.append(_register(run, path, user))
    return registered
