"""Growing data on the server: a file whose bytes extend an earlier file of the run is its next
version (linked by the sha256 of the prefix, never by the client's word); append mode builds
the whole file from the stored earlier one; the analysis of a version reads only the new lines
and gives what a whole analysis of that file gives."""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from analysis import pipelines
from analysis.readers import read
from analysis.serial import differences
from analysis.simulate.cycling import HalfCellModel, simulate_half_cell
from analysis.simulate.writers.neware import write_neware_csv
from analysis.simulate.writers.rows import cycler_rows
from labdb import models as m
from labdb.storage import blob_path
from tests.labdb.api.conftest import sha, token_client

URL = "/api/v1/test-runs/MgAgSn-E-HC1-PS/files/"


def cycler_file(cycles: int = 12, seed: int = 3) -> bytes:
    """A simulated half cell's record as the Neware BTSDA CSV export (a real vendor layout)."""
    trace = simulate_half_cell(
        HalfCellModel(initial_ce=0.9, average_ce=0.99, cycles=cycles), seed=seed
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = write_neware_csv(Path(tmp) / "cell.csv", cycler_rows(trace, dt.datetime(2026, 1, 5)))
        return path.read_bytes()


def full_analysis(data: bytes, job: m.AnalysisJob, name: str = "cell.csv") -> dict[str, Any]:
    """The cycling pipeline's JSON for the whole of ``data``, with ``job``'s parameters."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        table = read(path).table
    pipeline = pipelines.get("cycling")
    return pipeline.run(table, pipeline.validate(job.parameters)).to_json()


def stored_output(job: m.AnalysisJob) -> dict[str, Any]:
    return json.loads(blob_path(job.output_sha256).read_bytes())  # type: ignore[no-any-return]


def post(client: Any, data: bytes, digest: str | None = None, **fields: Any) -> Any:
    return client.post(
        URL,
        {"file": SimpleUploadedFile("cell.csv", data), "sha256": digest or sha(data), **fields},
        format="multipart",
    )


@pytest.fixture
def uploader(demo_user: Any, run: m.TestRun) -> Any:
    return token_client(demo_user, "upload")


@pytest.mark.django_db
def test_versions_by_whole_file_and_by_append_are_linked_and_analysed_like_the_whole(
    uploader: Any, django_capture_on_commit_callbacks: Any, client_demo: Any, run: m.TestRun
) -> None:
    data = cycler_file()
    cuts = [len(data) * 2 // 5 + 17, len(data) * 7 // 10]  # mid-line on purpose
    # each version analysed before the next arrives (else the older jobs are superseded)
    with django_capture_on_commit_callbacks(execute=True):
        v1 = post(uploader, data[: cuts[0]])
    with django_capture_on_commit_callbacks(execute=True):
        # the whole grown file, sent as such: the server finds the link by the prefix hash
        v2 = post(uploader, data[: cuts[1]])
    with django_capture_on_commit_callbacks(execute=True):
        # append mode: only the bytes after v2, the sha256 of the whole
        v3 = post(
            uploader, data[cuts[1] :], digest=sha(data), extends=v2.json()["id"], offset=cuts[1]
        )
    assert [r.status_code for r in (v1, v2, v3)] == [201, 201, 201], v3.content
    bodies = [r.json() for r in (v1, v2, v3)]
    assert [b["version"] for b in bodies] == [1, 2, 3]
    assert [b["extends"] for b in bodies] == [None, bodies[0]["id"], bodies[1]["id"]]
    assert bodies[2]["sha256"] == sha(data) and bodies[2]["size_bytes"] == len(data)
    assert blob_path(sha(data)).read_bytes() == data  # the full file, content-addressed
    listed = uploader.get(URL).json()
    assert sorted(f["version"] for f in listed) == [1, 2, 3]
    for body, end in zip(bodies, [*cuts, len(data)], strict=True):
        job = m.AnalysisJob.objects.get(pk=body["job"]["id"])
        assert job.status == "succeeded", job.error
        assert differences(stored_output(job), full_analysis(data[:end], job)) == []
    grown = m.ParsedTable.objects.get(data_file_id=bodies[2]["id"])
    assert 0 < grown.metadata["rows_parsed"] < grown.rows / 2  # only the new lines were parsed
    assert grown.metadata["grown_from_rows"] > 0
    with tempfile.TemporaryDirectory() as tmp:  # the reader's warnings are the whole file's
        (Path(tmp) / "cell.csv").write_bytes(data)
        assert grown.warnings == list(read(Path(tmp) / "cell.csv").warnings)
    page = client_demo.get(f"/test-runs/{run.pk}/").content.decode()
    shown = re.findall(r'<td data-version="(\d+)">\d+( <span)?', page)
    assert sorted(shown) == [("1", ""), ("2", " <span"), ("3", " <span")]
    assert f"extends {bodies[1]['sha256'][:15]}" in page
    entry = m.HistoryEntry.objects.get(action="file.registered", record_id=bodies[2]["id"])
    assert entry.changes["extends"] == bodies[1]["id"] and entry.changes["version"] == 3


@pytest.mark.django_db
def test_a_file_that_does_not_continue_the_earlier_one_is_not_linked(uploader: Any) -> None:
    data = cycler_file(cycles=4)
    first = post(uploader, data[:5000]).json()
    changed = data[:100] + b"X" + data[101:]  # same size and more, one byte differs early
    other = post(uploader, changed).json()
    assert other["extends"] is None and other["version"] == 1
    assert first["extends"] is None


@pytest.mark.django_db
def test_append_mode_refuses_a_wrong_base_and_a_wrong_whole_sha256(
    uploader: Any, settings: Any
) -> None:
    data = cycler_file(cycles=4)
    base = post(uploader, data[:5000]).json()
    wrong_offset = post(uploader, data[4000:], digest=sha(data), extends=base["id"], offset=4000)
    assert wrong_offset.status_code == 409 and "5000" in wrong_offset.json()["detail"]
    not_on_run = post(
        uploader,
        data[5000:],
        digest=sha(data),
        extends="0" * 8 + "-0000-0000-0000-" + "0" * 12,
        offset=5000,
    )
    assert not_on_run.status_code == 409
    # the client's bytes do not continue the server's copy into the declared whole file
    bad = post(
        uploader, b"garbage" + data[5007:], digest=sha(data), extends=base["id"], offset=5000
    )
    assert bad.status_code == 400 and "sha256 mismatch" in bad.json()["sha256"][0]
    lonely = post(uploader, data[5000:], digest=sha(data), extends=base["id"])
    assert lonely.status_code == 400
    assert m.DataFile.objects.count() == 1


@pytest.mark.django_db
def test_a_versions_parsed_table_is_stored_in_parts_and_read_whole_by_every_reader(
    uploader: Any, django_capture_on_commit_callbacks: Any, client_demo: Any, run: m.TestRun
) -> None:
    from labdb.exports.bdf import export_bdf
    from labdb.services.integrity import storage_verify
    from labdb.services.parsing import load_parsed_table
    from labdb.table_parts import is_manifest, read_table, table_parts

    data = cycler_file(cycles=40)  # a profile series long enough to be kept in parts
    # the first version the larger part (parts are merged while the one before is not larger)
    # at line ends, as the harvester sends a followed file
    cuts = [data.rfind(b"\n", 0, len(data) * f // 10) + 1 for f in (6, 8)] + [len(data)]
    ids = []
    for end in cuts:
        with django_capture_on_commit_callbacks(execute=True):
            ids.append(post(uploader, data[:end]).json()["id"])
    tables = [m.ParsedTable.objects.get(data_file_id=i, kind="cycling") for i in ids]
    first, _, last = tables
    assert not is_manifest(first.sha256) and is_manifest(last.sha256)
    parts = table_parts(last.sha256)
    assert parts[0].sha256 == first.sha256  # the first version's rows are not written again
    new_rows = sum(p.rows for p in parts if p.sha256 != first.sha256)
    assert new_rows < last.rows - first.rows + 200, (new_rows, last.rows, first.rows)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "cell.csv").write_bytes(data)
        whole = read(Path(tmp) / "cell.csv").table
        assert load_parsed_table(last).equals(whole)
        exported = export_bdf(run, Path(tmp) / "bdf", table=last)
        assert exported.rows == len(whole)
        assert pd.read_parquet(exported.parquet_path).equals(whole)
    job = m.AnalysisJob.objects.get(data_file_id=ids[-1], kind="cycling")
    assert job.input_sha256[1] == last.sha256  # provenance names the table (its manifest)
    # the result's profile series (every row) too: the earlier version's parts + the new rows
    profiles = m.ResultTable.objects.get(result_id=job.pk, name="profiles")
    assert is_manifest(profiles.sha256)
    full = pipelines.get("cycling").run(whole, pipelines.get("cycling").validate(job.parameters))
    assert read_table(profiles.sha256).equals(full.series["profiles"])
    some = read_table(profiles.sha256, ["voltage_volt"], filters=[("half_cycle", "in", [3, 30])])
    expected = full.series["profiles"]
    expected = expected[expected["half_cycle"].isin([3, 30])][["voltage_volt"]]
    assert some.equals(expected.reset_index(drop=True)) and len(some) > 0
    dqdv = m.AnalysisJob.objects.get(data_file_id=ids[-1], kind="dqdv")
    assert dqdv.status == "succeeded", dqdv.error
    page = client_demo.get(f"/test-runs/{run.pk}/")
    assert page.status_code == 200
    assert storage_verify().problems == []
    blob_path(parts[-1].sha256).unlink()  # a lost part is reported, naming its table
    problems = storage_verify().problems
    assert [p["problem"] for p in problems] == ["missing"]
    assert problems[0]["sha256"] == parts[-1].sha256
    assert problems[0]["records"] == ["part of the parsed table of cell.csv"]


@pytest.mark.django_db
def test_a_version_that_cannot_be_read_from_its_new_lines_is_read_whole_and_says_why(
    run: m.TestRun, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    """A Battery Archive export is not read from its new lines (parsed on their own they do
    not come out as in the whole file): the version is read whole, the table is the whole
    parse, and the parsed table's metadata and the worker's log say why."""
    import logging

    from analysis.simulate.writers.rows import cycler_rows as rows_of
    from labdb.services.ingest import data_file_register
    from tests.analysis.readers.cycler_files import STARTED, VARIANTS, small_trace

    name, writer, fmt = VARIANTS["battery-archive"]
    with tempfile.TemporaryDirectory() as tmp:
        path = writer(Path(tmp) / name, rows_of(small_trace(cycles=6), STARTED))
        data = path.read_bytes()
        whole = read(path, format=fmt).table
    cut = data.rfind(b"\n", 0, len(data) * 2 // 3) + 1
    ids = []
    caplog.set_level(logging.INFO, logger="labdb.services.jobs")
    for end in (cut, len(data)):
        with django_capture_on_commit_callbacks(execute=True):
            registered = data_file_register(
                test_run=run, chunks=[data[:end]], original_name=name, user=None, source="cli"
            )
        ids.append(registered.data_file.pk)
    second = m.DataFile.objects.get(pk=ids[1])
    assert second.extends_id == ids[0] and second.version == 2
    table = m.ParsedTable.objects.get(data_file=second, kind="cycling")
    why = table.metadata["read_whole"]
    assert why and "grown_from_rows" not in table.metadata
    from labdb.services.parsing import load_parsed_table

    assert load_parsed_table(table).equals(whole)
    assert f"{name} (version 2) read whole, not from the earlier version's table: {why}" in (
        caplog.text
    )
    job = m.AnalysisJob.objects.get(data_file=second, kind="cycling")
    done = m.HistoryEntry.objects.get(action="analysis.succeeded", record_id=str(job.pk))
    assert done.changes["read_whole"] == why
