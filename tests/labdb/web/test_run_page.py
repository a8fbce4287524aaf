"""The test-run page answers its questions: raw files with download and the detected format,
a reader to choose when detection failed, analysis again with other settings, a file uploaded
by mistake removed (soft, audited, results kept); from a cell "new test run", from a batch
"create N cells". Files are written here."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from labdb import models as m
from labdb.selectors.results import cell_metrics
from tests.labdb.test_ingest_and_jobs import bdf_csv
from tests.labdb.web.conftest import make_run

pytestmark = pytest.mark.django_db


def test_files_download_show_their_format_and_can_be_removed_with_a_reason(
    client_demo: Client, demo: m.Project, demo_user: Any, ingest: Any
) -> None:
    run = make_run(demo, demo_user, "MgAgSn-E-HC1-PS", "MgAgSn-E-HC1", "PS-1mA-1mAh")
    data = bdf_csv(cycles=3, ce=0.98)
    job = ingest(run, data, "hc1.csv")
    page = client_demo.get(f"/test-runs/{run.pk}/").content.decode()
    assert 'data-format="bdf"' in page
    assert f'href="/files/{job.data_file_id}/download/"' in page
    download = client_demo.get(f"/files/{job.data_file_id}/download/")
    assert b"".join(download.streaming_content) == data  # type: ignore[attr-defined]
    assert "attachment" in download["Content-Disposition"]
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    assert cell_metrics(demo_user, [cell])[cell.pk].cycles == 3
    client_demo.post(f"/files/{job.data_file_id}/remove/", {"reason": ""})
    assert not m.DataFileRemoval.objects.exists()
    client_demo.post(f"/files/{job.data_file_id}/remove/", {"reason": "uploaded to the wrong run"})
    removal = m.DataFileRemoval.objects.get()
    assert removal.removed_by == demo_user
    # the file and its result stay stored; the pages and statistics leave them out
    assert m.AnalysisResult.objects.filter(pk=job.pk).exists()
    assert cell_metrics(demo_user, [cell])[cell.pk].result is None
    page = client_demo.get(f"/test-runs/{run.pk}/").content.decode()
    assert "uploaded to the wrong run" in page and 'data-testid="run-metrics"' not in page
    entry = m.HistoryEntry.objects.get(record_id=run.pk, action="file.removed")
    assert entry.changes["reason"] == [None, "uploaded to the wrong run"]


def test_a_file_not_recognised_is_read_again_with_the_chosen_reader(
    client_demo: Client,
    demo: m.Project,
    demo_user: Any,
    ingest: Any,
    blobs: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from labdb.services.ingest import data_file_register

    run = make_run(demo, demo_user, "MgAgSn-E-HC1-PS", "MgAgSn-E-HC1", "PS-1mA-1mAh")
    data = b"# exported by hand\n" + bdf_csv(cycles=2, ce=0.98)
    with django_capture_on_commit_callbacks(execute=True):
        registered = data_file_register(
            test_run=run, chunks=[data], original_name="hand.dat", user=demo_user, source="web"
        )
    first = m.AnalysisJob.objects.get(pk=registered.job.pk)
    assert first.status == "failed" and "not recognised" in first.error
    page = client_demo.get(f"/test-runs/{run.pk}/").content.decode()
    assert 'data-testid="read-as"' in page and "not read" in page
    with django_capture_on_commit_callbacks(execute=True):
        client_demo.post(f"/files/{registered.data_file.pk}/read-as/", {"format": "bdf"})
    again = m.AnalysisJob.objects.filter(data_file=registered.data_file).latest("queued_at")
    assert again.pk != first.pk
    # the BDF reader was used (its own message names the column it wants), not detection
    assert again.status == "failed" and "test_time_second" in again.error
    assert "not recognised" not in again.error
    assert m.FormatChoice.objects.get().format == "bdf"
    assert m.HistoryEntry.objects.filter(record_id=run.pk, action="file.format_chosen").exists()


def test_analyse_again_with_other_settings_keeps_the_old_result(
    client_demo: Client,
    demo: m.Project,
    demo_user: Any,
    ingest: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    run = make_run(demo, demo_user, "MgAgSn-E-HC1-PS", "MgAgSn-E-HC1", "PS-1mA-1mAh")
    job = ingest(run, bdf_csv(cycles=3, ce=0.98), "hc1.csv")
    bad = client_demo.post(
        f"/files/{job.data_file_id}/analyse/", {"parameters": "{oops"}, follow=True
    )
    assert "not JSON" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client_demo.post(f"/files/{job.data_file_id}/analyse/", {"parameters": '{"area_cm2": 1.0}'})
    jobs = m.AnalysisJob.objects.filter(data_file=job.data_file, kind="cycling").order_by(
        "queued_at"
    )
    assert jobs.count() == 2 and jobs.last().parameters["area_cm2"] == 1.0  # type: ignore[union-attr]
    assert m.AnalysisResult.objects.filter(test_run=run, kind="cycling").count() == 2


def test_new_test_run_from_a_cell_and_n_cells_from_a_batch(
    client_demo: Client, demo: m.Project
) -> None:
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    page = client_demo.get(f"/cells/{cell.pk}/").content.decode()
    assert f"/test-runs/new/?cell={cell.pk}" in page
    form = client_demo.get(f"/test-runs/new/?cell={cell.pk}").content.decode()
    assert f'<option value="{cell.pk}" selected>' in form
    batch = cell.anode_batch
    li = m.MaterialLot.objects.filter(material__category="lithium_metal").first()
    se = m.MaterialLot.objects.filter(material__category="solid_electrolyte").first()
    assert li is not None and se is not None
    post = {
        "count": "3",
        "label_prefix": "NEW-HC",
        "kind": "half",
        "counter_lot": li.pk,
        "electrolyte_lot": se.pk,
        "area_cm2": "0.785",
    }
    client_demo.post(f"/batches/{batch.pk}/cells/", post)
    made = m.Cell.objects.filter(label__startswith="NEW-HC").order_by("label")
    assert [c.label for c in made] == ["NEW-HC1", "NEW-HC2", "NEW-HC3"]
    assert all(c.anode_batch_id == batch.pk and c.area_cm2 == 0.785 for c in made)
    # all or none: a taken label refuses the whole step
    client_demo.post(f"/batches/{batch.pk}/cells/", {**post, "count": "4"})
    assert m.Cell.objects.filter(label__startswith="NEW-HC").count() == 3
