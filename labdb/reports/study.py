"""The content of a study report, read from the records: the cells with their materials (every
lot, supplier and lot number), electrode batches and process steps, and their lineage; the
protocols and test runs; each analysis with its code version, commit, libraries, parameters
hash and input checksums; the statistics; the figures; and a methods paragraph written from
these records (:mod:`labdb.reports.methods`).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from labdb import models as m
from labdb.protocols import PARAMETERS
from labdb.provenance import analysis_version, code_commit
from labdb.reports.content import AnalysisEntry, CellEntry, ReportFigure, StudyReport
from labdb.reports.methods import methods_paragraphs
from labdb.reports.selection import StudySelection
from labdb.reports.statistics import report_statistics
from labdb.selectors.lineage import lineage


def lot_text(lot: m.MaterialLot | None) -> str:
    if lot is None:
        return ""
    return f"{lot.material.name} {lot.label} (lot {lot.lot_number}, {lot.supplier})"


def value_text(value: Any, unit: str) -> str:
    if isinstance(value, list):
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value) + (
            f" {unit}" if unit and unit != "list" else ""
        )
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{shown} {unit}".strip()


def protocol_parameters(protocol: m.TestProtocol) -> list[tuple[str, str]]:
    """(label, value with unit) of each recorded parameter, in the table's order."""
    params = protocol.parameters or {}
    out = []
    for key, p in PARAMETERS.items():
        if key in params and params[key] not in (None, "", []):
            out.append((p.label, value_text(params[key], p.unit)))
    for key in sorted(set(params) - set(PARAMETERS)):
        out.append((key, value_text(params[key], "")))
    return out


def _cell_lots(cell: m.Cell) -> list[tuple[str, m.MaterialLot]]:
    lots: list[tuple[str, m.MaterialLot]] = []
    formulation = cell.anode_batch.formulation
    for comp in formulation.components.select_related("lot__material").order_by("role", "pk"):
        lots.append((f"{comp.get_role_display()} ({comp.mass_fraction_pct:g} wt%)", comp.lot))
    for role, lot_field in (
        ("solvent", formulation.solvent_lot),
        ("current collector", cell.anode_batch.current_collector_lot),
        ("lithium counter electrode", cell.lithium_lot),
        ("cathode", cell.cathode_lot),
        ("cathode coating", cell.cathode_coating_lot),
        ("solid electrolyte", cell.electrolyte_lot),
    ):
        if lot_field is not None:
            lots.append((role, lot_field))
    return lots


def _upstream(cell: m.Cell, user: Any) -> list[tuple[str, list[str]]]:
    up = lineage(cell, user, direction="up")
    return [(kind, [str(obj) for obj, _ in objs]) for kind, objs in up.by_type()]


__all__ = ["AnalysisEntry", "CellEntry", "ReportFigure", "StudyReport", "build_report"]


def build_report(
    selection: StudySelection, *, figures: list[ReportFigure] | None = None
) -> StudyReport:
    """Everything the report shows for ``selection`` (figures as given: the caller decides
    where their files live; by default the selection's figure set, drawn from stored results)."""
    from labdb.reports.selection import compare_figure

    user = selection.user
    group_of = {i.cell.pk: g for g, infos in selection.groups().items() for i in infos}
    cells = [
        CellEntry(
            cell=c,
            group=group_of.get(c.pk, ""),
            lots=_cell_lots(c),
            steps=list(c.anode_batch.steps.order_by("order")),
            upstream=_upstream(c, user),
        )
        for c in selection.cells
    ]
    runs = list(
        m.TestRun.objects.filter(cell__in=selection.cells)
        .select_related("protocol", "instrument", "cell", "operator")
        .order_by("cell__label", "label")
    )
    protocols = {r.protocol.pk: r.protocol for r in runs}
    analyses = []
    for r in sorted(selection.results, key=lambda r: (r.test_run.label, r.kind)):
        job = m.AnalysisJob.objects.select_related("data_file", "parsed_table").get(pk=r.job_id)
        analyses.append(AnalysisEntry(r, job, job.data_file, job.parsed_table))
    if figures is None:
        figures = [ReportFigure(s, compare_figure(user, s)) for s in selection.figures()]
    statistics = report_statistics(selection)
    protocol_rows = [(p, protocol_parameters(p)) for p in protocols.values()]
    report = StudyReport(
        selection=selection,
        title=selection.name,
        generated_at=timezone.now(),
        cells=cells,
        protocols=sorted(protocol_rows, key=lambda pr: pr[0].name),
        runs=runs,
        analyses=analyses,
        statistics=statistics,
        figures=figures,
        methods=[],
        software={"labdb_analysis": analysis_version(), "commit": code_commit()},
    )
    report.methods = methods_paragraphs(report)
    return report
