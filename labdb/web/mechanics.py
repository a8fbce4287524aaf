"""The mechanics results of a batch's page as tables, from the stored result summaries
(:mod:`analysis.mechanics` defines every number; docs/mechanics-and-cv.md the rules):

- peel, per specimen (each peel run: plateau in mm, strength and its sd in gf/mm, whether a
  steady state was reached, early detachment, stick-slip, the analysis' warnings) and per set
  (the batch's specimens: mean, sample sd and count of the specimens' strengths);
- scratch, per run: L_c1 (first damage, with the signal that showed it), L_c2 (delamination),
  the events per signal, lift-off and depth sign;
- indentation, per indent of each record and per set (mean and sample sd of H, Er, eta_IT,
  C_IT over the indents of a record, as the job stored them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from labdb import models as m
from labdb.selectors.results import mean_sd


@dataclass(frozen=True)
class PeelSet:
    """The peel specimens of a batch and their set statistics (gf/mm)."""

    specimens: list[dict[str, Any]]
    mean_gf_per_mm: float | None
    sd_gf_per_mm: float | None
    count: int
    flagged: int = 0


def peel_specimen(result: m.AnalysisResult) -> dict[str, Any]:
    s = result.summary
    flags = [
        name
        for name, on in (
            ("detached early", s.get("detached_early")),
            ("stick-slip", s.get("stick_slip")),
            ("no steady state", s.get("steady_state") is False),
        )
        if on
    ]
    return {
        "run": result.test_run,
        "strength": s.get("peel_strength_gf_per_mm"),
        "sd": s.get("peel_strength_sd_gf_per_mm"),
        "plateau": (s.get("plateau_start_mm"), s.get("plateau_end_mm")),
        "peel_length": s.get("peel_length_mm"),
        "force_cv": s.get("force_cv"),
        "steady_state": s.get("steady_state"),
        "detached_early": bool(s.get("detached_early")),
        "stick_slip": bool(s.get("stick_slip")),
        "flags": flags,
        "warnings": list(s.get("warnings") or []),
    }


def peel_set(results: Sequence[m.AnalysisResult]) -> PeelSet | None:
    """Every peel specimen of ``results`` and the mean and sd of their strengths."""
    specimens = [peel_specimen(r) for r in results if r.kind == "peel"]
    if not specimens:
        return None
    mean, sd, n = mean_sd(s["strength"] for s in specimens)
    return PeelSet(specimens, mean, sd, n, sum(1 for s in specimens if s["flags"]))


def scratch_rows(results: Sequence[m.AnalysisResult]) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        if r.kind != "scratch":
            continue
        s = r.summary
        events = {e["signal"]: e for e in s.get("events") or []}
        lc1 = s.get("lc1_mN")
        lc1_by = next(
            (name for name, e in events.items() if lc1 is not None and e["load_mN"] == lc1), ""
        )
        rows.append(
            {
                "run": r.test_run,
                "lc1": lc1,
                "lc1_by": lc1_by.replace("_", " "),
                "lc2": s.get("lc2_mN"),
                "events": [
                    (name.replace("_", " "), e["load_mN"], e["distance_mm"])
                    for name, e in events.items()
                ],
                "recovery": s.get("mean_elastic_recovery"),
                "lift_off": s.get("lift_off_mm"),
                "sign_flipped": bool(s.get("depth_sign_flipped")),
                "warnings": list(s.get("warnings") or []),
            }
        )
    return rows


#: per-indent quantities in the indentation table: summary key, header
INDENT_COLUMNS = (
    ("hardness_GPa", "H (GPa)"),
    ("reduced_modulus_GPa", "Er (GPa)"),
    ("eta_IT_percent", "η_IT (%)"),
    ("creep_C_IT_percent", "C_IT (%)"),
    ("max_load_mN", "P at unloading (mN)"),
    ("max_depth_nm", "h max (nm)"),
)


@dataclass(frozen=True)
class IndentSet:
    """One indentation record: its indents (one row each) and, over them, mean and sd."""

    run: m.TestRun
    indents: list[dict[str, Any]]
    stats: list[tuple[float | None, float | None]]
    failures: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def indents_of(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-indent JSON of an indentation summary (one indent: the summary itself)."""
    return list(summary.get("indents") or ([summary] if "hardness_GPa" in summary else []))


def indentation_sets(results: Sequence[m.AnalysisResult]) -> list[IndentSet]:
    out = []
    for r in results:
        if r.kind != "indentation":
            continue
        indents = indents_of(r.summary)
        rows = [
            {"number": k + 1, "values": [i.get(key) for key, _ in INDENT_COLUMNS]}
            for k, i in enumerate(indents)
        ]
        stats = [mean_sd(i.get(key) for i in indents)[:2] for key, _ in INDENT_COLUMNS]
        out.append(
            IndentSet(
                r.test_run,
                rows,
                stats,
                list(r.summary.get("failures") or []),
                list(r.summary.get("warnings") or []),
            )
        )
    return out


def mechanics_tables(results: Sequence[m.AnalysisResult]) -> dict[str, Any]:
    """The batch page's context for its mechanics tables."""
    return {
        "peel_set": peel_set(results),
        "scratch_rows": scratch_rows(results),
        "indentation_sets": indentation_sets(results),
        "indent_headers": [h for _, h in INDENT_COLUMNS],
    }
