"""The comparison page: the paper's figures (a saved, frozen selection of cells), any other
selection by cells or filters, saved comparisons (named, frozen cells and results, with a
notice of anything newer), replicate statistics and provenance downloads."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from labdb import models as m
from labdb.gcpause import gc_paused_view
from labdb.selectors import results as sel
from labdb.selectors.access import visible
from labdb.selectors.lots import quarantined_lots_of
from labdb.selectors.statistics import study_statistics, without_deviations
from labdb.services.comparisons import comparison_save, comparison_update
from labdb.web.compare_stats import comparison_rows, replicate_table, survival_rows
from labdb.web.dashboards import Card
from labdb.web.plots import plotly_url
from labdb.web.saved import (
    PAPER_NAME,
    newer_than,
    paper_comparison,
    pinned_acceptances,
    pinned_results,
    saved_cells,
    saved_comparison,
)

MGAGSN = "Ag+Mg+Sn"
PAPER_FIGURES = [
    ("Fig. 2a", "Voltage profiles of the first cycle", "profiles",
     {"kind": "half", "binder": "Elastane", "group": "seed", "cycles": "1"}),
    ("Fig. 2b", "Coulombic efficiency per cycle", "ce",
     {"kind": "half", "binder": "Elastane", "group": "seed"}),
    ("Fig. 2c", "Cumulative coulombic efficiency", "cumulative-ce",
     {"kind": "half", "binder": "Elastane", "group": "seed"}),
    ("Fig. 2d", "Long-term plating/stripping of MgAgSn: voltage versus time", "voltage-time",
     {"kind": "half", "binder": "Elastane", "seed": MGAGSN, "group": "seed"}),
    ("Fig. 3e", "RCT after 5 and 10 cycles", "rct", {"kind": "half", "group": "formulation"}),
    ("Fig. 5a-b", "In-situ EIS: voltage during plating/stripping, Elastane versus PVDF",
     "insitu-voltage", {"kind": "half", "seed": MGAGSN, "group": "binder"}),
    ("Fig. 5c", "In-situ EIS: Nyquist plots, Elastane versus PVDF", "insitu-nyquist",
     {"kind": "half", "seed": MGAGSN, "group": "binder"}),
    ("Fig. 5d-e", "In-situ EIS: RSEI and RCT, Elastane versus PVDF", "insitu",
     {"kind": "half", "seed": MGAGSN, "group": "binder"}),
    ("Fig. 6a", "CE of MgAgSn: Elastane versus PVDF", "ce",
     {"kind": "half", "seed": MGAGSN, "group": "binder"}),
    ("Fig. 6d", "Full cell: capacity and retention at 0.5C", "full-cell",
     {"kind": "full", "group": "cell"}),
]  # fmt: skip
SURVIVAL_FIGURE = ("", "Cycles to short (Kaplan-Meier)", "survival", {})
CUSTOM_FIGURES = [
    ("", "Voltage profiles of the first cycle", "profiles", {"cycles": "1"}),
    ("", "Coulombic efficiency per cycle", "ce", {}),
    ("", "Cumulative coulombic efficiency", "cumulative-ce", {}),
    ("", "Capacity retention", "retention", {}),
    ("", "RCT after N cycles", "rct", {}),
    ("", "Voltage versus time", "voltage-time", {}),
    SURVIVAL_FIGURE,
]
#: shown for a chosen selection when one of its cells has an in-situ EIS run (Fig. 5 for any
#: cells, not only the paper's)
INSITU_FIGURES = [
    ("", "In-situ EIS: voltage during plating/stripping", "insitu-voltage", {}),
    ("", "In-situ EIS: Nyquist plots", "insitu-nyquist", {}),
    ("", "In-situ EIS: RSEI and RCT", "insitu", {}),
]
#: a group's cells listed by name in the replicate table (the rest counted): a decade of a
#: lab is 10,000 cells, which no table row should list
CELLS_LISTED = 100
#: the cell chooser lists every cell up to this many; above, the filters choose
CELL_CHOICES_MAX = 2000
SELECTION_KEYS = ("cells", "group", "kind", "seed", "binder", "conforming")


def mechanics_table(user: Any) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    by_binder = sel.mechanics_by_binder(user)
    columns = [(k, lbl) for _, k, lbl in sel.MECHANICS_METRICS]
    rows = []
    for binder in sorted(by_binder):
        cells = []
        for key, _ in columns:
            mean, sd, n = sel.mean_sd(v for _, v in by_binder[binder].get(key, []))
            cells.append(
                {
                    "key": key,
                    "mean": mean,
                    "sd": sd,
                    "n": n,
                    "raw": "" if mean is None else repr(mean),
                    "text": "—" if mean is None else f"{mean:.4g}",
                    "sd_text": "" if sd is None else f"{sd:.2g}",
                }
            )
        rows.append({"group": binder, "values": cells})
    return columns, rows


def _custom_figures(cells: list[m.Cell]) -> list[tuple[str, str, str, dict[str, str]]]:
    """The figures of a chosen selection: Fig. 5's in-situ plots too when a chosen cell has an
    in-situ EIS run. One query over the in-situ runs (few, whatever the selection's size: a
    selection of 10,000 cells is not sent back as a list of ids)."""
    with_insitu = set(
        m.TestRun.objects.filter(protocol__kind=m.TestProtocol.Kind.INSITU_EIS).values_list(
            "cell_id", flat=True
        )
    )
    insitu = any(c.pk in with_insitu for c in cells)
    return [*CUSTOM_FIGURES, *INSITU_FIGURES] if insitu else CUSTOM_FIGURES


def _paper_frozen(user: Any) -> m.SavedComparison | None:
    """The paper's figures as a saved comparison: the first view freezes the cells they show
    then (with their results); later cells are offered, never taken in."""
    saved = paper_comparison(user)
    if saved is not None:
        return saved
    cells = [i.cell for i in sel.comparison_cells(user)]
    try:
        return comparison_save(user=user, name=PAPER_NAME, cells=cells, options={})
    except ValidationError:
        return None  # no cells yet, or cells of several projects: shown live


@login_required
@gc_paused_view  # 10,000 cells build about 225,000 objects (labdb.gcpause)
def compare_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    chosen: dict[str, Any] = {
        k: request.GET.getlist(k) if k == "cells" else request.GET.get(k, "")
        for k in SELECTION_KEYS
    }
    saved = saved_comparison(user, request.GET.get("saved", ""))
    custom = any(chosen.values())
    if saved is None and not custom:
        saved = _paper_frozen(user)
    paper = saved is not None and saved.name == PAPER_NAME
    path = "/compare/plots/"
    results: list[m.AnalysisResult] | None = None  # None: each run's newest, picked in SQL
    if saved is not None:
        cells = saved_cells(user, saved)
        infos = list(sel.cell_infos(cells).values())
        named = bool(saved.options.get("cells_named"))
        by = chosen["group"] or saved.options.get("group") or ("cell" if named else "formulation")
        results = pinned_results(saved, cells, None)
        metrics = sel.cell_metrics(user, cells, results)
        accepted = pinned_acceptances(saved)
        base = {
            "saved": str(saved.pk),
            **{k: chosen[k] for k in ("group", "conforming") if chosen[k]},
        }
        figures = [*PAPER_FIGURES, SURVIVAL_FIGURE] if paper else _custom_figures(cells)
        cards = [Card(n, t, path, {**p, **base}, tag=tag) for tag, t, n, p in figures]
        export_query = urlencode({"saved": str(saved.pk)})
    else:
        params = {k: v for k, v in chosen.items() if v}
        by = chosen["group"] or ("cell" if chosen["cells"] else "formulation")
        infos = sel.comparison_cells(
            user,
            labels=chosen["cells"],
            kind=chosen["kind"],
            seed=chosen["seed"],
            binder=chosen["binder"],
            related=False,
        )
        figures = _custom_figures([i.cell for i in infos])
        cards = [Card(n, t, path, {**params, **p}, tag=tag) for tag, t, n, p in figures]
        metrics = sel.cell_metrics(user, [i.cell for i in infos])
        accepted = None  # the acceptances standing now
        export_query = request.GET.urlencode()
    kept, left_out = without_deviations(user, infos, results)
    if chosen["conforming"]:
        infos = kept
    groups = sel.grouped(infos, by if by in sel.GROUPINGS else "formulation")
    stats = study_statistics(
        groups,
        metrics,
        by=by,
        left_out=left_out if chosen["conforming"] else None,
        accepted=accepted,
    )
    columns, rows = replicate_table(stats)
    survival, logrank = survival_rows(stats)
    toggle = [(k, v) for k, vs in request.GET.lists() for v in vs if k != "conforming"]
    if not chosen["conforming"]:
        toggle.append(("conforming", "1"))
    held = quarantined_lots_of([i.cell for i in infos])
    for row in rows:  # cells from a quarantined lot are flagged, with the lot and reason
        cells = row["cells"]
        row["cell_rows"] = [(c, held.get(c.pk, [])) for c in cells[:CELLS_LISTED]]
        row["more_cells"] = len(cells[CELLS_LISTED:])
        row["more_held"] = sum(1 for c in cells[CELLS_LISTED:] if c.pk in held)
    mech_columns, mech_rows = mechanics_table(user)
    mech_cards = [
        Card("mechanics", label[0].upper() + label[1:], path, {"metric": key}, key=key)
        for _, key, label in sel.MECHANICS_METRICS
        if key
        in {"peel_strength_gf_per_mm", "critical_load_mN", "mean_elastic_recovery", "hardness_GPa"}
    ]
    unfiltered = saved is None and not any(chosen[k] for k in ("cells", "kind", "seed", "binder"))
    if unfiltered and not chosen["conforming"]:
        all_infos = infos
    else:
        all_infos = sel.comparison_cells(user, related=False)
    all_cells = [i.cell for i in all_infos]
    if len(all_cells) > CELL_CHOICES_MAX:  # the chosen ones stay (to unselect); filters choose
        all_cells = [c for c in all_cells if c.label in chosen["cells"]]
    return render(
        request,
        "compare/compare.html",
        {
            "custom": custom or (saved is not None and not paper),
            "paper": paper,
            "saved": saved,
            "newer": newer_than(user, saved) if saved is not None else None,
            "saved_list": visible(m.SavedComparison, user).exclude(name=PAPER_NAME)[:50],
            "chosen": chosen,
            "selection_query": [
                (k, v) for k, vs in request.GET.lists() for v in vs if k in SELECTION_KEYS and v
            ],
            "export_query": export_query,
            "group_by": by,
            "groupings": sel.GROUPINGS.items(),
            "all_cells": all_cells,
            "cell_choices_max": CELL_CHOICES_MAX,
            "cells_total": len(all_infos),
            "seeds": sorted({i.seeds for i in all_infos}),
            "binders": sorted({i.binder for i in all_infos}),
            "kinds": m.Cell.Kind.choices,
            "cards": cards,
            "mech_cards": mech_cards if mech_rows else [],
            "columns": columns,
            "rows": rows,
            "comparisons": comparison_rows(stats),
            "survival": survival,
            "logrank": logrank,
            "deviating": left_out,
            "conforming": bool(chosen["conforming"]),
            "conforming_toggle": urlencode(toggle),
            "mech_columns": mech_columns,
            "mech_rows": mech_rows,
            "plotly_url": plotly_url(),
            "has_cells": visible(m.Cell, user).exists(),
        },
    )


@login_required
@require_POST
def compare_save(request: HttpRequest) -> HttpResponse:
    """Save the posted selection (cells or filters, and the grouping) under a name."""
    post = request.POST
    labels = [v for v in post.getlist("cells") if v]
    infos = sel.comparison_cells(
        request.user,
        labels=labels,
        kind=post.get("kind", ""),
        seed=post.get("seed", ""),
        binder=post.get("binder", ""),
    )
    options = {k: post.get(k, "") for k in ("group", "kind", "seed", "binder")}
    options["cells_named"] = "1" if labels else ""
    try:
        saved = comparison_save(
            user=request.user,
            name=post.get("name", ""),
            cells=[i.cell for i in infos],
            options=options,
        )
    except ValidationError as exc:
        messages.error(request, "Not saved: " + " ".join(exc.messages))
        query = urlencode([(k, v) for k, vs in post.lists() for v in vs if k in SELECTION_KEYS])
        return redirect("/compare/" + (f"?{query}" if query else ""))
    messages.success(request, f"Saved the comparison {saved.name} ({len(infos)} cells).")
    return redirect(f"/compare/?saved={saved.pk}")


@login_required
@require_POST
def compare_update(request: HttpRequest, pk: str) -> HttpResponse:
    """Take in a saved comparison's newer data deliberately: saved as a new comparison under
    the posted name; the old one stays as it was."""
    saved = saved_comparison(request.user, pk)
    if saved is None:
        raise Http404("no such saved comparison")
    newer = newer_than(request.user, saved)
    try:
        updated = comparison_update(
            user=request.user,
            saved=saved,
            name=request.POST.get("name", ""),
            new_cells=newer.cells,
        )
    except ValidationError as exc:
        messages.error(request, "Not updated: " + " ".join(exc.messages))
        return redirect(f"/compare/?saved={saved.pk}")
    messages.success(
        request,
        f"Saved {updated.name} with the newest data; {saved.name} is unchanged.",
    )
    return redirect(f"/compare/?saved={updated.pk}")
