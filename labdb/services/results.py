"""Storing a pipeline's result: the thin storage side of :mod:`analysis.pipelines`.

Every kind gets one :class:`~labdb.models.AnalysisResult` (summary JSON), one
:class:`~labdb.models.ResultTable` per table and row-level series (Parquet in the blob store),
and the pipeline's whole JSON (``Result.to_json``) as a blob whose sha256 is the job's
``output_sha256``. Cycling results also fill the metric columns and one
:class:`~labdb.models.CycleResult` per cycle (so the API filters and pages them); EIS results
one :class:`~labdb.models.EISSpectrumFit` per spectrum with its fit, lin-KK check, DRT and
fitted curve.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from django.db import IntegrityError, connections, transaction

from analysis.pipelines import Result
from analysis.serial import column_of, num
from analysis.series import GrownSeries
from labdb import models as m
from labdb.models.immutable import refuse_rows_of_finished_jobs
from labdb.result_json import SameRows, kept_json, remember_json, written_json
from labdb.services.alerts import alerts_after_result
from labdb.services.conformance import ProtocolCheck, run_conformance
from labdb.services.earlier_rows import (
    common_rows,
    earlier_table,
    leading_rows,
    same_rows,
    unchanged_cycles,
)
from labdb.services.parsing import store_frame
from labdb.services.status import status_follow_result
from labdb.storage import BlobCorrupt, read_blob, store_chunks
from labdb.table_parts import read_arrow, store_grown, store_table

#: per-cycle values kept as columns of CycleResult (the rest are in ``values``)
CYCLE_COLUMNS = (
    "charge_capacity_mAh",
    "discharge_capacity_mAh",
    "plating_capacity_mAh",
    "stripping_capacity_mAh",
    "coulombic_efficiency",
)


@dataclass(frozen=True)
class StoredOutput:
    """A pipeline result's blobs, written before the job's finishing transaction (so no row
    lock is held while Parquet and JSON are written): the JSON form, its sha256 and the
    (sha256, rows, columns) of each table and series."""

    data: dict[str, Any]
    sha256: str
    tables: dict[str, tuple[str, int, list[str]]]
    #: a cycling result's cycles whose row of the per-cycle table equals, value for value,
    #: the row at the same place of the earlier result ``cycles_from`` (the job the memo came
    #: from): this result writes no CycleResult row for them, it continues that result's
    #: lineage (:mod:`labdb.models.cycle_rows`); and the cycles of the earlier result that
    #: this one has not (an absent row each)
    unchanged_cycles: tuple[int, ...] = ()
    cycles_from: str | None = None
    removed_cycles: tuple[int, ...] = ()
    #: rows of the JSON's tables whose text was copied from the earlier result's JSON
    #: ``json_rows_from`` (its sha256) rather than encoded (:mod:`labdb.result_json`)
    json_rows_copied: int = 0
    json_rows_from: str | None = None
    #: the protocol check, when it was made where the result was computed (:meth:`lean`)
    conformance: dict[str, Any] | None = None
    checked: bool = False

    def lean(self, check: ProtocolCheck) -> StoredOutput:
        """This output as the worker needs it, made in the job's analysis process: checked
        against the run's protocol there, and with the tables of ``data`` cut to the per-cycle
        rows the worker writes (those of the cycles not in ``unchanged_cycles``, whose rows it
        shares with the earlier result: :mod:`labdb.models.cycle_rows`); the whole tables are
        in the stored JSON (``sha256``). What crosses to the worker then grows with the new
        cycles, not with the test: at 1,600 cycles the whole tables are ~1.1 MB pickled,
        ~10-15 ms to write and read back and ~200,000 objects for the worker's collector."""
        unchanged = set(self.unchanged_cycles)
        tables = self.data.get("tables") or {}
        kept = {}
        if self.data.get("kind") == "cycling" and "cycles" in tables:
            rows = tables["cycles"]
            cycles = column_of(rows, "cycle")
            kept["cycles"] = [rows[i] for i, c in enumerate(cycles) if int(c) not in unchanged]
        return replace(
            self, data={**self.data, "tables": kept}, conformance=check(self.data), checked=True
        )


def output_store(
    result: Result,
    previous: Mapping[str, str] | None = None,
    earlier_result: str | None = None,
    earlier_json: str | None = None,
    earlier_frames: Mapping[str, pd.DataFrame] | None = None,
) -> StoredOutput:
    """Store the pipeline's JSON (canonical form; its sha256 equals
    :func:`labdb.provenance.sha256_of` of the JSON) and each table and series as Parquet.

    ``previous``: the stored tables of the same analysis of the earlier version of a growing
    file (name -> sha256, :func:`labdb.services.growing.previous_outputs`). A table whose first
    rows are the earlier one's (a series over the rows: the profile of every half-cycle that
    was already complete) is stored as that table's parts plus its other rows
    (:mod:`labdb.table_parts`): readers get the same table. Where the pipeline states how many
    first rows a table shares with ``previous``'s (``Result.shared_rows``: rows it took from
    that stored table itself), they are not read back and compared. A series that continues
    a stored one unread (:class:`~analysis.series.GrownSeries`: an incremental dQ/dV's
    curves) is stored as that one's parts plus its new rows, without reading it
    (:func:`labdb.table_parts.store_grown`).

    ``earlier_json``: the stored JSON of that earlier result (the job ``earlier_result``'s
    ``output_sha256``): the text of each table row equal to the earlier table's row at the
    same place is copied from it instead of encoded again (:mod:`labdb.result_json`: the
    same bytes). ``earlier_frames``: those of the earlier tables and series the caller has
    read already (the memo the pipeline was given): compared as they are, not read again."""
    data = result.to_json(lazy_tables=True)  # rows as dicts only where needed
    read = dict(earlier_frames or {})
    same: dict[str, SameRows] = {}
    earlier_cycles: pd.DataFrame | None = None
    for name, frame in result.tables.items():
        if not previous or name not in previous:
            continue
        # the per-cycle table is read for its cycle rows anyway; another only when copying
        # its rows' text saves more than reading it costs
        if len(frame) < MIN_ROWS_COPIED and not (name == "cycles" and earlier_result):
            continue
        before = read[name] if name in read else earlier_table(previous[name])
        found = None if before is None else same_rows(frame, before)
        if found is not None:
            same[name] = found
            if name == "cycles":
                earlier_cycles = before
    copyable = sum(int(np.count_nonzero(mask)) for mask, _ in same.values())
    earlier = _earlier_text(earlier_json) if copyable >= MIN_ROWS_COPIED else None
    text, copied, spans = written_json(data, earlier, same, earlier_json)
    for name, frame in result.series.items():  # a series read already: its shared first rows
        if name in read and not isinstance(frame, GrownSeries) and name in (previous or {}):
            found = same_rows(frame, read[name])
            if found is not None:
                same[name] = found
    sha256 = store_chunks([text], max_bytes=1 << 62).sha256
    remember_json(sha256, text, spans)  # the next version's job copies rows from it
    tables = {
        name: (
            _store_grown(frame)
            if isinstance(frame, GrownSeries)
            else _store_after(
                frame,
                (previous or {}).get(name),
                max(result.shared_rows.get(name, 0), leading_rows(same.get(name))),
                compare=not (name in read and name in same),
            ),
            len(frame),
            [str(c) for c in frame.columns],
        )
        for name, frame in {**result.tables, **result.series}.items()
    }
    unchanged: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()
    if earlier_result and earlier_cycles is not None:
        now = result.tables["cycles"]
        unchanged = unchanged_cycles(now, earlier_cycles, same["cycles"])
        gone = set(earlier_cycles["cycle"].tolist()) - set(now["cycle"].tolist())
        removed = tuple(sorted(int(c) for c in gone))
    return StoredOutput(
        data,
        sha256,
        tables,
        unchanged,
        earlier_result if unchanged else None,
        removed if unchanged else (),
        json_rows_copied=copied,
        json_rows_from=earlier_json if copied else None,
    )


#: rows of the JSON's tables below which none are copied from the earlier JSON (reading it,
#: and an earlier table to compare with, would cost more than encoding them: ~10 us a row)
MIN_ROWS_COPIED = 500


def _earlier_text(sha256: str | None) -> bytes | None:
    """The stored JSON of an earlier result, verified; None when it cannot be read (the JSON
    is then encoded whole: the same bytes)."""
    if not sha256:
        return None
    kept = kept_json(sha256)  # written or read by this process's last jobs
    if kept is not None:
        return kept[0]
    try:
        return read_blob(sha256)
    except (BlobCorrupt, OSError, ValueError):
        return None


def _store_grown(series: GrownSeries) -> str:
    """Store a grown series as its base's parts plus its new rows (whole when that saves
    nothing, or when a part of its base is missing: then it is read whole, which fails on a
    damaged base)."""
    if series.rows >= MIN_ROWS_IN_PARTS and series.shared_rows >= series.rows // 2:
        sha256 = store_grown(series.base.ref, series.shared_rows, series.tail)
        if sha256 is not None:
            return sha256
    return store_frame(series.frame())


#: tables shorter than this are stored whole (a part saves nothing there), unless they hold
#: at least ``MIN_VALUES_IN_PARTS`` values (a wide table: the per-cycle table of a long test,
#: ~37 columns, would be written whole by every version)
MIN_ROWS_IN_PARTS = 2_000
MIN_VALUES_IN_PARTS = 16_000


def _small(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` is stored whole whatever it shares with an earlier table."""
    return len(frame) < MIN_ROWS_IN_PARTS and len(frame) * len(frame.columns) < MIN_VALUES_IN_PARTS


def _store_after(
    frame: pd.DataFrame, earlier: str | None, known: int = 0, compare: bool = True
) -> str:
    """Store ``frame``, as the parts of the stored table ``earlier`` for the first rows they
    share and a new part for the rest when that is most of it; whole otherwise (also when the
    earlier table cannot be read). ``known``: rows the caller knows are ``earlier``'s first
    rows (taken from it), so they are not compared again."""
    if earlier is None or _small(frame):
        return store_frame(frame)
    if known >= len(frame) // 2:
        return store_table(frame, base=earlier, same_rows=known)
    if not compare:  # the caller compared it already (``known``): most rows are new
        return store_frame(frame)
    try:
        before = read_arrow(earlier, verify=True)
    except (BlobCorrupt, OSError, ValueError):
        return store_frame(frame)
    same = common_rows(frame, before)
    if same < len(frame) // 2:
        return store_frame(frame)
    return store_table(frame, base=earlier, same_rows=same)


def result_store(job: m.AnalysisJob, stored: StoredOutput) -> m.AnalysisResult:
    """Write the result rows for ``job`` from its stored output (call inside the job's
    finishing transaction)."""
    data = stored.data
    kind = data["kind"]
    summary = {k: v for k, v in data["summary"].items() if k != "details"}
    fields = {
        "job": job,
        "test_run": job.data_file.test_run,
        "kind": kind,
        "summary": {**summary, "warnings": data["warnings"]},
        "conformance": (
            stored.conformance if stored.checked else run_conformance(job.data_file.test_run, data)
        ),
        **metric_columns(data),
    }
    continued = False
    if kind != "cycling":
        record = m.AnalysisResult.objects.create(**fields)
    else:
        record, continued = _create_in_lineage(job, stored.cycles_from, fields)
    m.ResultTable.objects.bulk_create(
        m.ResultTable(result=record, name=name, sha256=sha, rows=rows, columns=columns)
        for name, (sha, rows, columns) in stored.tables.items()
    )
    if kind == "cycling":
        if continued:
            _store_cycles(
                record,
                data["tables"]["cycles"],
                set(stored.unchanged_cycles),
                stored.removed_cycles,
            )
        elif stored.checked and stored.unchanged_cycles:  # the rows it has are cut (lean)
            _store_cycles(record, _stored_cycle_rows(stored.sha256))
        else:
            _store_cycles(record, data["tables"]["cycles"])
    elif kind == "eis":
        _store_spectra(record, data["summary"]["details"])
    status_follow_result(result=record)  # the run's and cell's statuses follow the data
    # alert rules see the result once it is committed; they never fail the job
    transaction.on_commit(partial(alerts_after_result, record.pk))
    return record


def _create_in_lineage(
    job: m.AnalysisJob, earlier: str | None, fields: dict[str, Any]
) -> tuple[m.AnalysisResult, bool]:
    """Create the cycling result of ``job`` at the place after the earlier result ``earlier``
    in its lineage (:mod:`labdb.models.cycle_rows`), and say so (True); where that result has
    no lineage, or that place is taken (a lineage does not branch: a repeat analysis of a
    version whose next version continued it, or two analyses at once; the unique place
    decides, in a savepoint), or there is none, as the first result of a lineage of its own
    (False: it writes every row). A later place taken implies this one is: each continues
    the one before."""
    if earlier is not None:
        place = (
            m.AnalysisResult.objects.filter(pk=earlier)
            .values_list("cycles_lineage_id", "cycles_seq")
            .first()
        )
        if place is not None and None not in place:
            lineage, seq = place
            try:
                with transaction.atomic():
                    record = m.AnalysisResult.objects.create(
                        **fields, cycles_lineage_id=lineage, cycles_seq=seq + 1
                    )
                return record, True
            except IntegrityError:
                pass
    record = m.AnalysisResult.objects.create(**fields, cycles_lineage_id=job.pk, cycles_seq=0)
    return record, False


def metric_columns(data: Mapping[str, Any]) -> dict[str, Any]:
    """The AnalysisResult metric columns of a pipeline JSON (empty unless cycling)."""
    if data["kind"] != "cycling":
        return {}
    metrics: Mapping[str, Any] = data["summary"]["metrics"]
    return {
        rm.column: metrics.get(rm.metric) if rm.integer else num(metrics.get(rm.metric))
        for rm in m.RUN_METRICS
    }


def _store_cycles(
    record: m.AnalysisResult,
    cycles: list[dict[str, Any]],
    unchanged: set[int] | None = None,
    removed: Iterable[int] = (),
) -> None:
    """The CycleResult rows ``record`` writes, inserted in batches of the values the ORM would
    write (each field's own ``get_db_prep_save``: the JSON of ``values`` as the backend takes
    it). Not ``bulk_create``: building a model object and compiling the SQL for each cycle cost
    ~0.2 ms per cycle (bench/growing.py --jobs). A result that continues the lineage of an
    earlier one (:mod:`labdb.models.cycle_rows`) writes the rows of the cycles not in
    ``unchanged`` (their values equal the earlier result's: ``unchanged_cycles``) and an
    absent row for each cycle of the earlier result it has not (``removed``); the first
    result of a lineage writes every row. The rows are of the record's place in its lineage
    (``since``). The guard of the ORM path is kept: no rows for a finished job (and on
    PostgreSQL the triggers refuse them from any client)."""
    model = m.CycleResult
    refuse_rows_of_finished_jobs(model, [model(result=record)])
    db = record._state.db or "default"
    connection = connections[db]
    names = ("result", "lineage", "since", "absent", "cycle", *CYCLE_COLUMNS, "values")
    fields = [model._meta.get_field(name) for name in names]
    result_id = fields[0].get_db_prep_save(record.pk, connection)
    lineage = fields[1].get_db_prep_save(record.cycles_lineage_id, connection)
    place = (result_id, lineage, record.cycles_seq)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    values_field = fields[-1]
    same = unchanged or set()
    rows = [
        (
            *place,
            False,
            int(row["cycle"]),
            *(num(row.get(k)) for k in CYCLE_COLUMNS),
            values_field.get_db_prep_save(
                {k: v for k, v in row.items() if k not in CYCLE_COLUMNS and k != "cycle"},
                connection,
            ),
        )
        for row in cycles
        if int(row["cycle"]) not in same
    ]
    empty = values_field.get_db_prep_save({}, connection)
    rows += [(*place, True, int(c), *(None for _ in CYCLE_COLUMNS), empty) for c in removed]
    if not rows:
        return
    row_marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # rows per statement as the ORM batches them (the backend's parameter limit): one
    # statement per batch, so PostgreSQL's statement-level triggers fire once per batch
    batch = max(1, connection.ops.bulk_batch_size(fields, rows))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            marks = ", ".join([row_marks] * len(chunk))
            # the table and column names are the model's own; the values are parameters
            sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {marks}"  # nosec B608
            cursor.execute(sql, [value for row in chunk for value in row])


def _stored_cycle_rows(sha256: str) -> list[dict[str, Any]]:
    """The per-cycle rows of the stored result JSON ``sha256`` (read verified)."""
    rows: list[dict[str, Any]] = json.loads(read_blob(sha256))["tables"]["cycles"]
    return rows


def _store_spectra(record: m.AnalysisResult, details: list[dict[str, Any]]) -> None:
    """One row per spectrum from the pipeline's (already JSON-ready) details."""
    rows = []
    for s in details:
        p, fit, labels = s["physical"], s["fit"], s["labels"]
        assignment = p.get("assignment")
        rows.append(
            m.EISSpectrumFit(
                result=record,
                spectrum=s["spectrum"],
                cycle=labels.get("cycle"),
                sequence=labels.get("sequence"),
                time_second=num(labels.get("time_second")),
                potential_volt=num(labels.get("potential_volt")),
                current_ampere=num(labels.get("current_ampere")),
                half_cycle=labels.get("half_cycle"),
                state=labels.get("state") or "",
                half_cycle_charge_ah=num(labels.get("half_cycle_charge_ah")),
                voltage_volt=num(labels.get("voltage_volt")),
                fit_success=bool(fit["success"]),
                assignment_status=(assignment or {}).get("status") or "",
                inductance_h=num(p.get("inductance_h")),
                circuit=fit["circuit"],
                parameters={k: num(v) for k, v in fit["parameters"].items()},
                standard_errors={k: num(v) for k, v in fit["standard_errors"].items()},
                chi_square=num(fit["chi_square"]),
                rb_ohm=num(p.get("Rb_ohm")),
                rsei_ohm=num(p.get("RSEI_ohm")),
                rct_ohm=num(p.get("RCT_ohm")),
                rb_ohm_cm2=num(p.get("Rb_ohm_cm2")),
                rsei_ohm_cm2=num(p.get("RSEI_ohm_cm2")),
                rct_ohm_cm2=num(p.get("RCT_ohm_cm2")),
                model_reason=s["model_reason"],
                kk=s["kk"] or {},
                details=p,
                drt=s["drt"] or {},
                curve=s["curve"],
            )
        )
    m.EISSpectrumFit.objects.bulk_create(rows)
