"""A calm home page (running tests, new results, what needs attention, each dismissable; no
log of every change), history as field-level old -> new values, attachments removable with a
reason (audited)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from labdb import models as m
from labdb.services.catalog import record_save
from tests.labdb.test_ingest_and_jobs import bdf_csv
from tests.labdb.web.conftest import make_run
from tests.labdb.web.test_status import half_cell_csv

pytestmark = pytest.mark.django_db


def test_home_shows_what_is_next_and_items_can_be_dismissed(
    client_demo: Client, demo: m.Project, demo_user: Any, ingest: Any
) -> None:
    ok = make_run(demo, demo_user, "MgAgSn-E-HC1-PS", "MgAgSn-E-HC1", "PS-1mA-1mAh")
    ingest(ok, bdf_csv(cycles=3, ce=0.98), "hc1.csv")
    shorted = make_run(demo, demo_user, "MgAgSn-E-HC2-PS", "MgAgSn-E-HC2", "PS-1mA-1mAh")
    short_job = ingest(shorted, half_cell_csv([0.98, 0.98, 0.98, 1.3, 1.4]), "hc2.csv")
    html = client_demo.get("/").content.decode()
    running = html.split('data-testid="running-tests"')[1].split("</ul>")[0]
    assert "MgAgSn-E-HC1-PS" in running and "MgAgSn-E-HC2-PS" not in running  # finished
    results = html.split('data-testid="new-results"')[1].split("</ul>")[0]
    assert "MgAgSn-E-HC1-PS" in results and "3 cycles, ICE 98.00 %" in results
    attention = html.split('data-testid="attention"')[1].split("</section>")[0]
    assert "Short circuit detected on MgAgSn-E-HC2-PS at cycle 4" in attention
    assert "Recent changes" not in html  # no log of every change
    client_demo.post("/dismiss/", {"key": f"short:{short_job.pk}"})
    html = client_demo.get("/").content.decode()
    assert "Short circuit detected on MgAgSn-E-HC2-PS" not in html
    # dismissing is the person's own: another member still sees it
    other = m.Membership.objects.create(
        project=demo,
        user=type(demo_user).objects.create_user("colleague", password="x"),
    ).user
    colleague = Client()
    colleague.force_login(other)
    assert "Short circuit detected on MgAgSn-E-HC2-PS" in colleague.get("/").content.decode()


def test_history_lists_field_level_old_and_new_values(client_demo: Client, demo_user: Any) -> None:
    lot = m.MaterialLot.objects.get(label="Ag-30nm-L1")
    old_supplier = lot.supplier
    lot.supplier = "Another supplier GmbH"
    record_save(record=lot, user=demo_user)
    html = client_demo.get(f"/lots/{lot.pk}/").content.decode()
    assert (
        f'<li data-field="supplier">supplier: {old_supplier} → Another supplier GmbH</li>'
    ) in html


def test_attachment_is_removed_with_a_reason_and_kept_in_the_history(
    client_demo: Client, settings: Any, tmp_path: Any
) -> None:
    settings.BLOB_DIR = tmp_path / "blobs"
    lot = m.MaterialLot.objects.get(label="Ag-30nm-L1")
    client_demo.post(
        f"/lots/{lot.pk}/attachments/",
        {"kind": "xrd", "file": SimpleUploadedFile("wrong.csv", b"2theta,i\n38.1,1\n")},
    )
    attachment = lot.attachments.get()
    client_demo.post(f"/attachments/{attachment.pk}/remove/", {"reason": ""})
    attachment.refresh_from_db()
    assert attachment.removed_at is None
    client_demo.post(f"/attachments/{attachment.pk}/remove/", {"reason": "XRD of another lot"})
    attachment.refresh_from_db()
    assert attachment.removed_at is not None and attachment.removal_reason == "XRD of another lot"
    entry = m.HistoryEntry.objects.get(record_id=lot.pk, action="attachment.removed")
    assert entry.changes["reason"] == [None, "XRD of another lot"]
    page = client_demo.get(f"/lots/{lot.pk}/").content.decode()
    assert 'class="removed" data-attachment="wrong.csv"' in page
