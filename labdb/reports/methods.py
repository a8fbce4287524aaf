"""The methods paragraph of a study report, written from the records only: formulations and
their lots, electrode batches and their process steps, cells, the protocols' recorded
parameters, the instruments, and the versions of the code that parsed and analysed the data.

Nothing is assumed: a sentence appears only when the records hold what it says, and a value
that differs between cells is given as its range or list, never as one of them.
"""

from __future__ import annotations

from collections.abc import Iterable

from labdb import models as m
from labdb.reports.content import StudyReport

#: process-step fields with their units (canonical, as stored)
STEP_FIELDS = (
    ("method", ""),
    ("gap_um", "µm gap"),
    ("speed_rpm", "rpm"),
    ("temperature_c", "°C"),
    ("duration_h", "h"),
    ("pressure_mpa", "MPa"),
    ("atmosphere", ""),
)


def _join(items: Iterable[str]) -> str:
    xs = [x for x in items if x]
    if len(xs) <= 1:
        return "".join(xs)
    return ", ".join(xs[:-1]) + " and " + xs[-1]


def _span(values: Iterable[float | None], unit: str) -> str:
    xs = sorted({float(v) for v in values if v is not None})
    if not xs:
        return ""
    text = f"{xs[0]:g}" if len(xs) == 1 else f"{xs[0]:g} to {xs[-1]:g}"
    return f"{text} {unit}"


def _step(step: m.ProcessStep) -> str:
    parts = []
    for name, unit in STEP_FIELDS:
        value = getattr(step, name)
        if value in (None, ""):
            continue
        parts.append(f"{value:g} {unit}" if isinstance(value, float) else str(value))
    kind = str(step.get_kind_display())
    return f"{kind} ({', '.join(parts)})" if parts else kind


def _component(comp: m.FormulationComponent) -> str:
    lot = comp.lot
    return (
        f"{lot.material.name} ({comp.get_role_display()}, {comp.mass_fraction_pct:g} wt%; "
        f"lot {lot.lot_number}, {lot.supplier})"
    )


def _materials(report: StudyReport) -> list[str]:
    out = []
    batches = {c.cell.anode_batch.pk: c.cell.anode_batch for c in report.cells}
    formulations = {b.formulation.pk: b.formulation for b in batches.values()}
    for f in sorted(formulations.values(), key=lambda f: f.name):
        comps = f.components.select_related("lot__material").order_by("role", "pk")
        sentence = f"The electrode formulation {f.name} (version {f.version}) contained "
        sentence += _join(_component(c) for c in comps)
        if f.solvent_lot is not None:
            sentence += (
                f", dispersed in {f.solvent_lot.material.name} (lot {f.solvent_lot.lot_number})"
            )
        if f.solids_content_pct is not None:
            sentence += f" at {f.solids_content_pct:g} wt% solids"
        out.append(sentence + ".")
    for b in sorted(batches.values(), key=lambda b: b.label):
        steps = [_step(s) for s in b.steps.order_by("order")]
        sentence = f"Electrode batch {b.label} was made from {b.formulation.name}"
        if b.made_on:
            sentence += f" on {b.made_on.isoformat()}"
        if steps:
            sentence += " by " + _join(steps)
        extras = []
        if b.measured_thickness_um is not None:
            extras.append(f"measured thickness {b.measured_thickness_um:g} µm")
        if b.areal_loading_mg_cm2 is not None:
            extras.append(f"areal loading {b.areal_loading_mg_cm2:g} mg/cm²")
        if b.current_collector_lot is not None:
            lot = b.current_collector_lot
            extras.append(f"current collector {lot.material.name} (lot {lot.lot_number})")
        out.append(sentence + (f"; {', '.join(extras)}" if extras else "") + ".")
    return out


def _cells(report: StudyReport) -> list[str]:
    cells = [c.cell for c in report.cells]
    out = []
    for kind, words in (("half", "half cells (Li | solid electrolyte | electrode)"),
                        ("full", "full cells (cathode | solid electrolyte | electrode)")):  # fmt: skip
        group = [c for c in cells if c.kind == kind]
        if not group:
            continue
        if len(group) == 1:
            words = words.replace(" cells ", " cell ", 1)
        verb = "was" if len(group) == 1 else "were"
        sentence = f"{len(group)} {words} {verb} assembled ({', '.join(c.label for c in group)})"
        se = sorted({f"{c.electrolyte_lot.material.name} lot {c.electrolyte_lot.lot_number}"
                     for c in group})  # fmt: skip
        parts = [f"solid electrolyte {_join(se)}"]
        for text in (
            _span((c.electrolyte_thickness_um for c in group), "µm electrolyte layer"),
            _span((c.area_cm2 for c in group), "cm² area"),
            _span((c.stack_pressure_mpa for c in group), "MPa stack pressure"),
        ):
            if text:
                parts.append(text)
        if kind == "full":
            cath = sorted({f"{c.cathode_lot.material.name} lot {c.cathode_lot.lot_number}"
                           for c in group if c.cathode_lot is not None})  # fmt: skip
            if cath:
                parts.append(f"cathode {_join(cath)}")
            loading = _span((c.cathode_loading_mg_cm2 for c in group), "mg/cm² cathode loading")
            if loading:
                parts.append(loading)
        else:
            li = sorted({f"lot {c.lithium_lot.lot_number}" for c in group if c.lithium_lot})
            if li:
                parts.append(f"lithium counter electrode {_join(li)}")
        out.append(sentence + " with " + "; ".join(parts) + ".")
    return out


def _protocols(report: StudyReport) -> list[str]:
    out = []
    for protocol, params in report.protocols:
        runs = [r for r in report.runs if r.protocol_id == protocol.pk]
        instruments = sorted(
            {f"{r.instrument.vendor} {r.instrument.model}".strip() for r in runs if r.instrument}
        )
        sentence = f"{protocol.name} ({protocol.get_kind_display()})"
        if params:
            sentence += ": " + "; ".join(f"{label} {value}" for label, value in params)
        sentence += f". {len(runs)} run{'s' if len(runs) != 1 else ''}"
        if instruments:
            sentence += f" on {_join(instruments)}"
        out.append(sentence + ".")
    return out


def _analysis(report: StudyReport) -> list[str]:
    if not report.analyses:
        return []
    parsers = sorted({f"{a.table.parser} {a.table.parser_version}" for a in report.analyses
                      if a.table is not None})  # fmt: skip
    versions = sorted({a.job.analysis_version for a in report.analyses})
    commits = sorted({a.job.code_commit[:12] for a in report.analyses if a.job.code_commit})
    libraries: dict[str, set[str]] = {}
    for a in report.analyses:
        for name, version in (a.job.library_versions or {}).items():
            libraries.setdefault(name, set()).add(str(version))
    kinds = sorted({a.result.kind for a in report.analyses})
    sentence = (
        f"{len({a.raw.pk for a in report.analyses})} raw instrument files"
        + (f" were parsed by {_join(parsers)} and" if parsers else "")
        + f" analysed ({', '.join(kinds)}) by labdb-analysis {_join(versions)}"
    )
    if commits:
        sentence += f" (code commit {_join(commits)})"
    if libraries:
        libs = ", ".join(f"{k} {'/'.join(sorted(v))}" for k, v in sorted(libraries.items()))
        sentence += f" with {libs}"
    sentence += (
        "; every analysis's parameters and input files are recorded with their SHA-256 "
        "(table of analyses)."
    )
    return [sentence]


def _uncertainty(report: StudyReport) -> list[str]:
    """The instruments' stated accuracy and the limits of error of average CE it gives
    (docs/statistics.md, "Uncertainty"); nothing when no instrument states an offset."""
    from labdb.selectors.uncertainty import cycling_bounds

    bounds = [b for a in report.analyses if (b := cycling_bounds(a.result)) is not None]
    if not bounds:
        return []
    stated = []
    for i in sorted({a.result.test_run.instrument for a in report.analyses
                     if a.result.test_run.instrument is not None}, key=lambda i: i.label):  # fmt: skip
        if i.current_accuracy_pct_of_range is None or not i.current_range_mA:
            continue
        text = f"{i.label}: {i.current_accuracy_pct_of_range:g} % of the {i.current_range_mA:g} mA range"
        if i.current_accuracy_pct_of_reading is not None:
            text += f" + {i.current_accuracy_pct_of_reading:g} % of reading"
        if i.time_accuracy_ppm is not None:
            text += f", clock {i.time_accuracy_ppm:g} ppm"
        stated.append(text + (f", calibrated {i.calibrated_on}" if i.calibrated_on else ""))
    average = [round(b.average_ce * 100, 2) for b in bounds if b.average_ce is not None]
    sentence = (
        f"Limits of error of capacity and CE follow from the stated accuracy of the cyclers "
        f"({'; '.join(stated)}), the current offset adding linearly over cycles"
    )
    if average:
        sentence += f": average CE ± {_span(average, '%')} (absolute)"
    return [sentence + "."]


def _statistics(report: StudyReport) -> list[str]:
    """The grouping and the convention; the tests only when the report shows them (two
    groups of one cell kind; docs/statistics.md)."""
    st = report.statistics
    out = [f"Cells were grouped by {st.grouped_by}. {st.convention}"]
    if st.differences:
        out.append(
            "Differences between groups of the same cell kind were tested with Welch's t-test "
            "(effect size Hedges' g) and the Mann-Whitney U test (rank-biserial correlation), "
            "the p-values of each metric adjusted over the pairs of groups by Holm's method."
        )
    if st.logrank:
        out.append(
            "Cycles to short were compared as Kaplan-Meier survival curves, cells that did not "
            "short censored at their last cycle, with pairwise log-rank tests."
        )
    if any(v.get("outliers") for row in st.rows for v in row["values"]):
        out.append(
            "Cells were flagged as outliers within their group when the modified z-score of a "
            "value exceeded 3.5 (Iglewicz and Hoaglin)."
        )
    return [" ".join(out)]


def methods_paragraphs(report: StudyReport) -> list[str]:
    """Materials, cells, protocols, analysis and statistics paragraphs (empty ones left out)."""
    parts: list[list[str]] = [
        _materials(report),
        _cells(report),
        _protocols(report),
        _analysis(report) + _uncertainty(report),
        _statistics(report),
    ]
    return [" ".join(p) for p in parts if p]
