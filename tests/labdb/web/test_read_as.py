"""Choosing a reader on the test-run page always reads and analyses the file again with it,
whether the earlier analysis failed or not: idempotent per reader (and code version and
settings), the earlier result kept and marked superseded, the job naming the reader and the
person who chose it. Files are written here."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from labdb import models as m
from labdb.exports.prov.document import provenance_document
from labdb.exports.prov.terms import SEGMENT
from tests.labdb.test_ingest_and_jobs import bdf_csv
from tests.labdb.web.conftest import make_run

pytestmark = pytest.mark.django_db


def _read_as(client: Client, data_file: m.DataFile, format: str, capture: Any) -> str:
    with capture(execute=True):
        response = client.post(f"/files/{data_file.pk}/read-as/", {"format": format}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_choosing_a_reader_after_a_good_analysis_reads_again_and_supersedes_it(
    client_demo: Client,
    demo: m.Project,
    demo_user: Any,
    ingest: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    run = make_run(demo, demo_user, "MgAgSn-E-HC1-PS", "MgAgSn-E-HC1", "PS-1mA-1mAh")
    first = ingest(run, bdf_csv(cycles=3, ce=0.98), "hc1.csv")
    assert first.reader == "" and first.status == "succeeded"  # detected
    page = client_demo.get(f"/test-runs/{run.pk}/").content.decode()
    assert 'data-testid="read-as"' in page  # offered although the analysis succeeded

    html = _read_as(client_demo, first.data_file, "bdf", django_capture_on_commit_callbacks)
    assert "hc1.csv is read as bdf: a new analysis is queued" in html
    on_file = m.AnalysisJob.objects.filter(data_file=first.data_file)
    jobs = list(on_file.filter(kind="cycling").order_by("queued_at"))
    assert [(j.reader, j.status) for j in jobs] == [("", "succeeded"), ("bdf", "succeeded")]
    # each reading is followed by its own dQ/dV job, read with the same reader
    follow = on_file.filter(kind="dqdv").order_by("queued_at")
    assert [(j.reader, j.status, j.requested_by) for j in follow] == [
        ("", "succeeded", None),
        ("bdf", "succeeded", None),
    ]
    again = jobs[1]
    assert again.requested_by == demo_user
    assert again.parsed_table is not None and again.parsed_table.format == "bdf"
    # the earlier result stays, marked superseded; the new one is the run's current result
    assert m.AnalysisResult.objects.filter(test_run=run, kind="cycling").count() == 2
    html = client_demo.get(f"/test-runs/{run.pk}/").content.decode()
    assert f'data-job="{first.pk}" data-superseded="1"' in html
    assert f'data-job="{again.pk}" data-superseded' not in html
    assert html.count('data-testid="superseded"') == 1
    choice = m.FormatChoice.objects.get()
    assert (choice.format, choice.chosen_by) == ("bdf", demo_user)
    entry = m.HistoryEntry.objects.get(record_id=run.pk, action="file.format_chosen")
    assert entry.changes["job"] == [None, str(again.pk)]

    # the same reader again: the same job, no new choice or history entry (idempotent)
    html = _read_as(client_demo, first.data_file, "bdf", django_capture_on_commit_callbacks)
    assert "exists already" in html
    assert on_file.filter(kind="cycling").count() == 2 and on_file.count() == 4
    assert m.FormatChoice.objects.count() == 1
    assert m.HistoryEntry.objects.filter(action="file.format_chosen").count() == 1

    # another reader: a third job, read with that reader (it refuses this file, saying so)
    _read_as(client_demo, first.data_file, "neware-csv", django_capture_on_commit_callbacks)
    third = on_file.filter(kind="cycling").latest("queued_at")
    assert third.reader == "neware-csv" and third.status == "failed", third.error
    assert on_file.filter(kind="dqdv").count() == 2  # a failed reading is followed by nothing
    assert "neware" in third.error.lower()
    # a failed reading supersedes nothing: the bdf result is still the current one
    html = client_demo.get(f"/test-runs/{run.pk}/").content.decode()
    assert f'data-job="{again.pk}" data-superseded' not in html

    # provenance names the reader and the person who chose it
    doc = json.loads(provenance_document(run).serialize(format="json"))
    job_id = f"labdb:{SEGMENT[m.AnalysisJob]}/{again.pk}"
    assert doc["activity"][job_id]["labdb:reader"] == "bdf"
    associated = [
        a["prov:agent"] for a in doc["wasAssociatedWith"].values() if a["prov:activity"] == job_id
    ]
    assert f"labdb:user/{demo_user.pk}" in associated, associated


def test_the_api_names_the_reader_and_who_asked(
    client_demo: Client,
    demo: m.Project,
    demo_user: Any,
    ingest: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    run = make_run(demo, demo_user, "MgAgSn-E-HC1-PS", "MgAgSn-E-HC1", "PS-1mA-1mAh")
    first = ingest(run, bdf_csv(cycles=2, ce=0.98), "hc1.csv")
    _read_as(client_demo, first.data_file, "bdf", django_capture_on_commit_callbacks)
    rows = client_demo.get(f"/api/v1/jobs/?file={first.data_file_id}").json()["results"]
    assert sorted((r["kind"], r["reader"], r["requested_by"] or "") for r in rows) == [
        ("cycling", "", "demo"),  # the upload's analysis, asked for by the uploader
        ("cycling", "bdf", "demo"),
        ("dqdv", "", ""),  # the dQ/dV following each, asked for by the system (null)
        ("dqdv", "bdf", ""),
    ]


def _two_readers_csv() -> bytes:
    """A BDF CSV with the NREL batterydata columns beside its own: both the ``bdf`` and the
    ``batterydata-csv`` reader read it (the latter without the charge counters)."""
    lines = bdf_csv(cycles=3, ce=0.98).decode().splitlines()
    out = [lines[0] + ",Time_s,Voltage_V,Current_A"]
    out += [line + "," + ",".join(line.split(",")[:3]) for line in lines[1:]]
    return ("\n".join(out) + "\n").encode()


def test_read_as_a_then_b_then_a_again_makes_a_current_again(
    client_demo: Client,
    demo: m.Project,
    demo_user: Any,
    ingest: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    run = make_run(demo, demo_user, "MgAgSn-E-HC1-PS", "MgAgSn-E-HC1", "PS-1mA-1mAh")
    first = ingest(run, _two_readers_csv(), "hc1.csv")
    data_file = first.data_file
    on_file = m.AnalysisJob.objects.filter(data_file=data_file)

    def current() -> tuple[str, str]:
        html = client_demo.get(f"/test-runs/{run.pk}/").content.decode()
        live = [
            j
            for j in on_file.all()
            if j.status == "succeeded" and f'data-job="{j.pk}" data-superseded' not in html
        ]
        assert {j.kind for j in live} == {"cycling", "dqdv"}, live  # one current result per kind
        cycling = next(j for j in live if j.kind == "cycling")
        return cycling.reader, str(cycling.pk)

    _read_as(client_demo, data_file, "batterydata-csv", django_capture_on_commit_callbacks)  # A
    a_reader, a_job = current()
    assert a_reader == "batterydata-csv"
    _read_as(client_demo, data_file, "bdf", django_capture_on_commit_callbacks)  # B
    assert current()[0] == "bdf"

    html = _read_as(
        client_demo, data_file, "batterydata-csv", django_capture_on_commit_callbacks
    )  # A
    assert "hc1.csv is read as batterydata-csv: a new analysis is queued" in html
    reader, again = current()
    assert reader == "batterydata-csv" and again != a_job  # A's reading is current, by a new job
    cycling = on_file.filter(kind="cycling", reader="batterydata-csv").order_by("repeat")
    assert [(j.repeat, j.status) for j in cycling] == [(0, "succeeded"), (1, "succeeded")]
    assert cycling[1].requested_by == demo_user
    # its dQ/dV follows it as its own job too, and is the current dQ/dV
    dqdv = on_file.filter(kind="dqdv", reader="batterydata-csv").order_by("repeat")
    assert [j.repeat for j in dqdv] == [0, 1]
    assert (
        m.AnalysisResult.objects.filter(test_run=run, kind="dqdv").latest("created_at").pk
        == dqdv[1].pk
    )
    # the same output as A's first reading (same bytes, reader and code)
    assert cycling[1].output_sha256 == cycling[0].output_sha256
    # audited: the choice names the new job, and the queued job says it is a repeat
    entries = m.HistoryEntry.objects.filter(record_id=run.pk, action="file.format_chosen")
    assert [e.changes["format"][1] for e in entries.order_by("at")] == [
        "batterydata-csv",
        "bdf",
        "batterydata-csv",
    ]
    assert entries.order_by("at").last().changes["job"] == [None, str(cycling[1].pk)]
    queued = m.HistoryEntry.objects.get(record_id=cycling[1].pk, action="analysis.queued")
    assert queued.changes["repeat"] == 1

    # A again while A is current: the same job (idempotent), nothing new
    html = _read_as(client_demo, data_file, "batterydata-csv", django_capture_on_commit_callbacks)
    assert "exists already" in html
    assert on_file.filter(kind="cycling").count() == 4  # detected, A, B, A again


def test_a_job_reproduces_with_its_own_reader_after_another_is_chosen(
    client_demo: Client,
    demo: m.Project,
    demo_user: Any,
    ingest: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from labdb.services.integrity import job_reproduce

    run = make_run(demo, demo_user, "MgAgSn-E-HC1-PS", "MgAgSn-E-HC1", "PS-1mA-1mAh")
    first = ingest(run, bdf_csv(cycles=3, ce=0.98), "hc1.csv")
    # the file's current reader is now one that refuses it
    _read_as(client_demo, first.data_file, "neware-csv", django_capture_on_commit_callbacks)
    assert m.FormatChoice.objects.get().format == "neware-csv"
    r = job_reproduce(first)  # read as the job was (detected), not with neware-csv
    assert r.identical and r.reproduced_sha256 == first.output_sha256
