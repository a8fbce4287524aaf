"""What a study report holds (:func:`labdb.reports.study.build_report` fills it; the methods
paragraph, the HTML/PDF documents and the package read it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labdb import models as m
from labdb.reports.render import has_values
from labdb.reports.selection import FigureSpec, StudySelection
from labdb.reports.statistics import StatisticsTable


@dataclass
class CellEntry:
    cell: m.Cell
    group: str
    lots: list[tuple[str, m.MaterialLot]]  # (role, lot)
    steps: list[m.ProcessStep]
    upstream: list[tuple[str, list[str]]]  # (record type, labels)


@dataclass
class AnalysisEntry:
    result: m.AnalysisResult
    job: m.AnalysisJob
    raw: m.DataFile
    table: m.ParsedTable | None


@dataclass
class ReportFigure:
    spec: FigureSpec
    fig: dict[str, Any]
    #: where the report's <img> points (a URL, a file in the package, or a data: URI)
    src: str = ""

    @property
    def empty(self) -> str:
        if has_values(self.fig):
            return ""
        return str(self.fig.get("empty") or "No values to plot for these cells.")


@dataclass
class StudyReport:
    selection: StudySelection
    title: str
    generated_at: Any
    cells: list[CellEntry]
    protocols: list[tuple[m.TestProtocol, list[tuple[str, str]]]]
    runs: list[m.TestRun]
    analyses: list[AnalysisEntry]
    statistics: StatisticsTable
    figures: list[ReportFigure]
    methods: list[str]
    software: dict[str, str] = field(default_factory=dict)
