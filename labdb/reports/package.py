"""A publishable data package: one ZIP that is itself an RO-Crate, ready for a repository.

The zip holds one top folder with ``ro-crate-metadata.json`` and:

- everything the cells' RO-Crate holds (:mod:`labdb.exports.crate`: raw instrument files,
  parsed tables, one JSON per analysis result, lots, batches, protocols, instruments, and one
  Process Run Crate action per analysis);
- ``bdf/``: each test run's canonical cycling table as Battery Data Format CSV and Parquet with
  its JSON-LD sidecar (:mod:`labdb.exports.bdf`);
- ``figures/``: the comparison page's figure set as SVG and PDF at single (85 mm) and double
  (175 mm) column width (:mod:`labdb.reports.render`);
- ``report.html`` (figures from ``figures/``) and ``report.pdf``;
- ``datacite.json``: DataCite 4.5 metadata for the deposit (:mod:`labdb.reports.datacite`).

Every added file is a ``File`` entity of the crate with its sha256, size and media type, so the
crate lists and checks the whole package.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

from rocrate.rocrate import ROCrate

from labdb.exports.bdf import NoTableError, export_bdf
from labdb.exports.crate import build_crate, safe_name
from labdb.reports.datacite import datacite_metadata
from labdb.reports.document import report_html, report_pdf
from labdb.reports.render import FORMATS, NoData, figure_file
from labdb.reports.selection import StudySelection, compare_figure
from labdb.reports.study import ReportFigure, StudyReport, build_report
from labdb.reports.style import WIDTHS_MM

MEDIA_TYPES = {
    ".csv": "text/csv",
    ".parquet": "application/vnd.apache.parquet",
    ".jsonld": "application/ld+json",
    ".json": "application/json",
    ".html": "text/html",
    **{f".{k}": v for k, v in FORMATS.items()},
}


def _add(crate: ROCrate, data: bytes, dest: str, name: str, **props: Any) -> None:
    crate.add_file(
        source=BytesIO(data),
        dest_path=dest,
        properties={
            "name": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "contentSize": str(len(data)),
            "encodingFormat": MEDIA_TYPES.get(Path(dest).suffix, "application/octet-stream"),
            **props,
        },
    )


def _figures(crate: ROCrate, report: StudyReport) -> None:
    for f in report.figures:
        if f.empty:
            continue
        for width, mm in WIDTHS_MM.items():
            for fmt in FORMATS:
                dest = f"figures/{f.spec.stem}-{mm:g}mm.{fmt}"
                try:
                    data = figure_file(f.fig, fmt, width)
                except NoData:
                    continue
                caption = f"{f.spec.tag + ': ' if f.spec.tag else ''}{f.spec.title}"
                _add(crate, data, dest, f"{caption} ({mm:g} mm, {fmt.upper()})")
                if width == "single" and fmt == "svg":
                    f.src = dest


def _bdf(crate: ROCrate, report: StudyReport, tmp: Path) -> list[str]:
    """BDF tables of every run with a parsed cycling table; the runs without one, named."""
    skipped = []
    for run in report.runs:
        try:
            out = export_bdf(run, tmp / safe_name(run.label))
        except NoTableError:
            skipped.append(run.label)
            continue
        for path in (out.csv_path, out.parquet_path, out.sidecar_path):
            _add(
                crate,
                path.read_bytes(),
                f"bdf/{path.name}",
                f"{run.label}: Battery Data Format {path.suffix.lstrip('.')}",
                description=f"described by bdf/{out.sidecar_path.name}",
            )
    return skipped


def build_package(
    selection: StudySelection,
    out_path: Path | str,
    *,
    publisher: str = "",
    license: str = "CC-BY-4.0",
    related_doi: str = "",
    progress: Callable[[float, str], None] = lambda fraction, stage: None,
) -> Path:
    """Write the data package of ``selection`` to ``out_path`` (a .zip; see the module
    docstring). Written to a ``.partial`` file and moved into place when complete.
    ``progress(fraction, stage)`` is told how far it got (an export job's progress bar)."""
    if not selection.cells:
        raise ValueError("the selection has no cells: nothing to package")
    out = Path(out_path)
    progress(0.0, "collecting the figures' data")
    figures = [ReportFigure(s, compare_figure(selection.user, s)) for s in selection.figures()]
    progress(0.15, "writing the study report")
    report = build_report(selection, figures=figures)
    progress(0.25, "collecting the RO-Crate's records and raw files")
    crate = build_crate(list(selection.cells))
    crate.root_dataset["name"] = f"{report.title}: data package"
    top = safe_name(out.stem) or "labdb-package"
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        progress(0.4, "writing the BDF tables")
        skipped = _bdf(crate, report, tmp / "bdf")
        progress(0.55, "drawing the figures (SVG, PDF)")
        _figures(crate, report)
        progress(0.75, "rendering the report (HTML, PDF)")
        _add(crate, report_html(report).encode(), "report.html", "Study report (HTML)")
        _add(crate, report_pdf(report), "report.pdf", "Study report (PDF)")
        formats = sorted({e.get("encodingFormat") for e in crate.get_entities()
                          if e.get("encodingFormat")})  # fmt: skip
        size = sum(int(e.get("contentSize") or 0) for e in crate.get_entities())
        meta = datacite_metadata(
            report,
            publisher=publisher,
            license=license,
            related_doi=related_doi,
            sizes=[f"{size} bytes"],
            formats=formats,
        )
        _add(
            crate,
            (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode(),
            "datacite.json",
            "DataCite metadata (schema 4.5, JSON)",
        )
        if skipped:
            crate.root_dataset["description"] = (
                f"{crate.root_dataset.get('description', '')}. Runs without a parsed cycling "
                f"table (EIS, mechanics or no data yet), so no BDF table: {', '.join(skipped)}"
            )
        progress(0.9, "writing the archive")
        folder = tmp / top
        crate.write(folder)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        try:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for path in sorted(folder.rglob("*")):
                    if path.is_file():
                        zf.write(path, f"{top}/{path.relative_to(folder).as_posix()}")
        except BaseException:
            partial.unlink(missing_ok=True)  # no half-written package left behind
            raise
        shutil.move(partial, out)
    progress(1.0, "done")
    return out
