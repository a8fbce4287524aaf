"""Dashboard pages: a cell's page, an electrode batch's page and the comparison page.

Pages render at once with the metrics (server-side); each plot is a card whose data the
browser fetches from :mod:`labdb.web.plots` (JSON for the plot, CSV for download).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from labdb import models as m
from labdb.selectors import results as sel
from labdb.selectors.access import get_visible
from labdb.selectors.live import live_state
from labdb.selectors.uncertainty import CyclingBounds, cycling_bounds
from labdb.web.batch_cells import BatchCellsForm
from labdb.web.cell_plots.dqdv import dqdv_cycles
from labdb.web.display import detail_context
from labdb.web.entities import ENTITIES
from labdb.web.flags import cycle_level_flags, pct, pct_pm, shown
from labdb.web.mechanics import mechanics_tables
from labdb.web.plots import plotly_url


@dataclass
class Control:
    """An input above a plot whose value is sent with the plot's request."""

    name: str
    label: str
    value: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    placeholder: str = ""


@dataclass
class Card:
    name: str
    title: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    tag: str = ""
    controls: list[Control] = field(default_factory=list)
    wide: bool = False
    key: str = ""

    @property
    def query(self) -> str:
        return urlencode(self.params, doseq=True)

    @property
    def url(self) -> str:
        return f"{self.path}{self.name}.json" + (f"?{self.query}" if self.query else "")

    @property
    def csv(self) -> str:
        return f"{self.path}{self.name}.csv" + (f"?{self.query}" if self.query else "")

    def _figure(self, fmt: str) -> str:
        base = self.path.replace("/plots/", "/figures/", 1)
        return f"{base}{self.name}.{fmt}" + (f"?{self.query}" if self.query else "")

    @property
    def svg(self) -> str:
        """The paper-ready vector figure (single column; ``&width=double`` for 175 mm)."""
        return self._figure("svg")

    @property
    def pdf(self) -> str:
        return self._figure("pdf")

    @property
    def dom_id(self) -> str:
        ident = self.tag or self.key or self.name
        return f"plot-{ident}".replace(" ", "-").replace(".", "").replace("_", "-").lower()


# --- cell page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DQDVChoice:
    """The dQ/dV result the cell page shows (of the shown cycling run), its cycles and the
    cycle chosen first."""

    result: m.AnalysisResult
    cycles: list[int]
    cycle: int


def dqdv_choice(
    cell: m.Cell,
    chosen: m.AnalysisResult | None,
    results: Sequence[m.AnalysisResult],
    asked: str,
) -> DQDVChoice | None:
    """The dQ/dV result of the shown cycling run (None without one, or without cycles)."""
    if chosen is None:
        return None
    result = next(
        (r for r in sel.by_kind(results, "dqdv") if r.test_run_id == chosen.test_run_id), None
    )
    if result is None:
        return None
    cycles = dqdv_cycles(result)
    counted = [c for c in cycles if c >= 1] or cycles
    if not counted:
        return None
    cycle = int(asked) if asked.isdigit() and int(asked) in cycles else counted[0]
    return DQDVChoice(result, cycles, cycle)


def dqdv_cards(path: str, run: dict[str, str], dqdv: DQDVChoice) -> list[Card]:
    """dQ/dV and dV/dQ of one cycle (a cycle selector each) and the peaks of every cycle."""
    choices = [(str(c), f"cycle {c}") for c in dqdv.cycles]
    params = {**run, "cycle": str(dqdv.cycle)}
    control = [Control("cycle", "Cycle", str(dqdv.cycle), choices)]
    return [
        Card("dqdv", "Differential capacity dQ/dV of a cycle", path, params, controls=control),
        Card("dvdq", "Differential voltage dV/dQ of a cycle", path, params, controls=control),
        Card("dqdv-peaks", "dQ/dV peak positions per cycle", path, run),
    ]


def _cycling_rows(results: Sequence[m.AnalysisResult]) -> list[dict[str, Any]]:
    return [_cycling_row(r, cycling_bounds(r)) for r in results]


def _cycling_row(r: m.AnalysisResult, b: CyclingBounds | None) -> dict[str, Any]:
    return {
        "run": r.test_run,
        "protocol": r.test_run.protocol.name,
        "cycles": r.cycle_count,
        "conformance": r.conformance,
        "ice": shown("ice", r.initial_coulombic_efficiency, pct(r.initial_coulombic_efficiency)),
        "average_ce": shown(
            "average_ce",
            r.average_coulombic_efficiency,
            pct_pm(r.average_coulombic_efficiency, b.average_ce if b else None, 3),
        ),
        "cumulative_ce": shown(
            "cumulative_ce",
            r.cumulative_coulombic_efficiency,
            pct_pm(r.cumulative_coulombic_efficiency, b.final_cumulative_ce if b else None),
        ),
        "short": r.short_circuit_cycle,
        "retention": shown("retention", r.capacity_retention, pct(r.capacity_retention, 1)),
        "cycle_life": r.cycle_life,
        "hours": r.total_time_h,
    }


def _eis_rows(results: Sequence[m.AnalysisResult]) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        fits = sel.spectra_of(r)
        rcts = [sel.resistance(f, "rct") for f in fits]
        rcts = [v for v in rcts if v is not None]
        rows.append(
            {
                "run": r.test_run,
                "when": sel.eis_when(r.test_run),
                "spectra": len(fits),
                "circuit": ", ".join(sorted({f.circuit for f in fits})),
                "rct": rcts[0] if len(rcts) == 1 else None,
                "rct_range": (min(rcts), max(rcts)) if len(rcts) > 1 else None,
                "unit": "Ω cm²" if any(f.rct_ohm_cm2 is not None for f in fits) else "Ω",
            }
        )
    return rows


def cell_cards(
    cell: m.Cell,
    cycling: Sequence[m.AnalysisResult],
    chosen: m.AnalysisResult | None,
    eis: Sequence[m.AnalysisResult],
    has_cv: bool,
    cycles: str,
    dqdv: DQDVChoice | None = None,
) -> list[Card]:
    path = f"/cells/{cell.pk}/plots/"
    run = {"run": str(chosen.test_run_id)} if chosen is not None else {}
    cards: list[Card] = []
    if cycling:
        cards += [
            Card("ce", "Coulombic efficiency per cycle", path, run),
            Card("cumulative-ce", "Cumulative coulombic efficiency", path, run),
            Card(
                "profiles",
                "Voltage profiles of chosen cycles",
                path,
                {**run, **({"cycles": cycles} if cycles else {})},
                controls=[Control("cycles", "Cycles", cycles, placeholder="e.g. 1,2,10-12")],
            ),
            Card("voltage-time", "Voltage versus time", path, run),
            Card("capacity", "Capacity and retention", path, run),
            Card(
                "overpotential",
                "Overpotential per cycle" if cell.kind == "half" else "Mean voltage per cycle",
                path,
                run,
            ),
        ]
    if dqdv is not None:
        cards += dqdv_cards(path, run, dqdv)
    if eis:
        choices = (
            [("after", "after N cycles (all)")]
            if any(r.test_run.after_cycles is not None for r in eis)
            else []
        )
        choices += [(str(r.test_run_id), r.test_run.label) for r in eis]
        control = Control("eis", "EIS run", choices[0][0], choices)
        cards += [
            Card(
                "nyquist",
                "Nyquist with fitted curves and residuals",
                path,
                {"eis": choices[0][0]},
                controls=[control],
                wide=True,
            ),
            Card("bode", "Bode", path, {"eis": choices[0][0]}, controls=[control]),
            Card(
                "drt",
                "Distribution of relaxation times",
                path,
                {"eis": choices[0][0]},
                controls=[control],
            ),
            Card(
                "kk-residuals",
                "lin-KK residuals and their limits",
                path,
                {"eis": choices[0][0]},
                controls=[control],
            ),
        ]
        if any(r.test_run.after_cycles is not None for r in eis):
            cards.append(Card("resistance-cycle", "Resistances versus cycle", path))
        if any(sel.is_insitu(r.test_run) for r in eis):
            cards.append(Card("resistance-sequence", "Resistances versus in-situ sequence", path))
            cards.append(
                Card("insitu-voltage", "In-situ EIS: voltage with the spectra (Fig. 5a-b)", path)
            )
            cards.append(
                Card(
                    "insitu-resistance",
                    "In-situ EIS: Rb, RSEI, RCT per plating/stripping sequence (Fig. 5d-e)",
                    path,
                )
            )
    if has_cv:
        cards.append(Card("cv", "Cyclic voltammetry with marked peaks", path))
    return cards


@login_required
def cell_page(request: HttpRequest, key: str) -> HttpResponse:
    cell = get_visible(m.Cell, request.user, key)
    context = detail_context(request, ENTITIES["cells"], cell)
    results = sel.results_of_cells(request.user, [cell], None)
    cycling = sel.cycling_results(request.user, cell, results)
    chosen = sel.primary_cycling(cycling)
    run = request.GET.get("run", "")
    for r in cycling:
        if str(r.test_run_id) == run or r.test_run.label == run:
            chosen = r
    eis = sel.eis_results(request.user, cell, results)
    has_cv = bool(sel.by_kind(results, "cv"))
    headline = sel.cell_metrics(request.user, [cell], results)[cell.pk]
    bounds = cycling_bounds(headline.result)
    context.update(
        {
            "headline": headline,
            "headline_rows": _headline_rows(headline, bounds),
            "bounds": bounds,
            "conformance_results": [r for r in results if r.kind in ("cycling", "eis")],
            "flags": cycle_level_flags(chosen),
            "cycling_rows": _cycling_rows(cycling),
            "eis_rows": _eis_rows(eis),
            "chosen": chosen,
            "cycling": cycling,
            "cards": cell_cards(
                cell,
                cycling,
                chosen,
                eis,
                has_cv,
                request.GET.get("cycles", ""),
                dqdv_choice(cell, chosen, results, request.GET.get("cycle", "")),
            ),
            "plotly_url": plotly_url(),
            "live": live_state(request.user, cell),
            "live_poll_ms": int(1000 * settings.LABDB_LIVE_POLL_S),
        }
    )
    return render(request, "cells/detail.html", context)


@login_required
def cell_live(request: HttpRequest, key: str) -> JsonResponse:
    """The cell page's poll: the newest result of each run (``version`` changes when one is
    stored), run statuses and the time of the newest data; small, never cached."""
    cell = get_visible(m.Cell, request.user, key)
    response = JsonResponse(live_state(request.user, cell))
    response["Cache-Control"] = "no-store"
    return response


def _headline_rows(cm: sel.CellMetrics, b: CyclingBounds | None) -> list[tuple[str, Any]]:
    average = pct_pm(cm.average_ce, b.average_ce if b else None, 3)
    cumulative = pct_pm(cm.cumulative_ce, b.final_cumulative_ce if b else None)
    rows: list[tuple[str, Any]] = [
        ("Initial CE", shown("ice", cm.ice, pct(cm.ice))),
        ("Average CE", shown("average_ce", cm.average_ce, average)),
        ("Cumulative CE", shown("cumulative_ce", cm.cumulative_ce, cumulative)),
        (
            "Cycles to short",
            str(cm.short_circuit_cycle)
            if cm.short_circuit_cycle is not None
            else (f"no short in {cm.cycles} cycles" if cm.cycles else "—"),
        ),
    ]
    if cm.cell.kind == "full":
        rows.append(("Capacity retention", shown("retention", cm.retention, pct(cm.retention, 1))))
    if cm.total_time_h is not None:
        rows.append(("Test time", f"{cm.total_time_h:.0f} h"))
    for n, v in sorted(cm.rct_after.items()):
        rows.append((f"RCT after {n} cycles", "—" if v is None else f"{v:.1f} Ω cm²"))
    return rows


# --- batch page --------------------------------------------------------------------------

INDENT_SET_TITLE = "Nano-indentation: the indents of each record with H and Er (mean ± sd)"


@login_required
def batch_page(request: HttpRequest, key: str) -> HttpResponse:
    batch = get_visible(m.ElectrodeBatch, request.user, key)
    context = detail_context(request, ENTITIES["batches"], batch)
    results = sel.batch_results(request.user, [batch])
    kinds = {r.kind for r in results}
    path = f"/batches/{batch.pk}/plots/"
    titles = {
        "peel": "Peel: force versus displacement",
        "scratch": "Scratch: depth versus distance",
        "indentation": "Nano-indentation: load versus depth with the fitted unloading",
        "cv": "Cyclic voltammetry with marked peaks",
    }
    mechanics = []
    for r in results:
        for kind, metric, label in sel.MECHANICS_METRICS:
            value = r.summary.get(metric) if r.kind == kind else None
            if isinstance(value, int | float):
                mechanics.append((label, f"{value:.4g}", r.test_run))
    context.update(
        {
            "cards": [Card(k, t, path) for k, t in titles.items() if k in kinds]
            + ([Card("indentation-set", INDENT_SET_TITLE, path)] if "indentation" in kinds else []),
            **mechanics_tables(results),
            "mechanics": mechanics,
            "cells_form": BatchCellsForm(
                user=request.user, initial={"label_prefix": f"{batch.label}-C"}
            ),
            "plotly_url": plotly_url(),
        }
    )
    return render(request, "batches/detail.html", context)
