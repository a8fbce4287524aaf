"""Cycling pipeline: the canonical cycling table in; per-cycle capacities and CE, run metrics,
short circuits, half-cycle boundaries and voltage-profile curves out.

Definitions, units and references of every output: :mod:`analysis.cycling` and
docs/metrics-cycling.md. The cell type is a required parameter: a half cell (the anode-less
electrode against Li: a cycle is plating then stripping, CE = stripping / plating) and a full
cell (charge then discharge, CE = discharge / charge) are analysed differently, and guessing
it would silently swap the two conventions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from analysis.cycling.parameters import CellType, CyclingParameters
from analysis.params import Params, param
from analysis.pipelines.base import Progress, Result, report

if TYPE_CHECKING:
    import pandas as pd
else:
    from analysis.lazy import pandas as pd

KIND = "cycling"


@dataclass(frozen=True)
class CyclingParams(Params):
    """Parameters of the cycling pipeline; the analysis knobs of
    :class:`analysis.cycling.CyclingParameters` are accepted at the top level."""

    flatten: ClassVar[tuple[str, ...]] = ("options",)

    cell_type: CellType = param(
        doc="half (electrode against Li; CE = stripping/plating) or full (CE = discharge/charge)"
    )
    area_cm2: float | None = param(None, unit="cm2", doc="electrode area for areal values")
    one_c_current_density_mA_cm2: float | None = param(
        None, unit="mA/cm2", doc="the protocol's 1C as a current density (needs area_cm2)"
    )
    options: CyclingParameters = field(default_factory=CyclingParameters)

    def __post_init__(self) -> None:
        if self.area_cm2 is not None and not self.area_cm2 > 0:
            raise ValueError(f"area_cm2: expected a positive area, found {self.area_cm2}")
        if self.one_c_current_density_mA_cm2 is not None and self.area_cm2 is None:
            raise ValueError("one_c_current_density_mA_cm2 needs area_cm2")


def run(
    table: pd.DataFrame,
    params: CyclingParams,
    progress: Progress | None = None,
    previous: pd.DataFrame | None = None,
) -> Result:
    """Analyse a cycling table (see the module docstring); raises ``ValueError`` naming the
    column and row of data it cannot use.

    ``previous``: the ``half_cycle_memo`` series of the analysis of an earlier version of the
    same growing file (same parameters and code): the per-half-cycle values it holds for the
    half-cycles that did not change are reused (:mod:`analysis.cycling.reuse`); the result is
    the same as without it. Every result carries its own memo for the next version."""
    # The science is imported here, not with the parameters: the command line validates them
    # before it reads the file, and nothing before the read may import pandas (analysis.lazy).
    from analysis.cycling import analyze_cycling
    from analysis.cycling.reuse import Memo, recording

    report(progress, 0.05)
    with recording(Memo.from_frame(previous) if previous is not None else None) as recorder:
        result = analyze_cycling(
            table,
            cell_type=params.cell_type,
            area_cm2=params.area_cm2,
            one_c_current_density_mA_cm2=params.one_c_current_density_mA_cm2,
            params=params.options,
            profiles=True,
        )
    memo = recorder.memo()
    report(progress, 0.9)
    profiles = result.profiles if result.profiles is not None else pd.DataFrame()
    return Result(
        kind=KIND,
        parameters=params.to_dict(),
        summary={
            "cell_type": result.cell_type,
            "metrics": dict(result.metrics),
            "short_circuits": [e.to_dict() for e in result.short_circuits],
            "resolved_parameters": result.parameters.to_dict(),
        },
        tables={
            "cycles": result.cycles,
            "half_cycles": result.half_cycles,
            "rate_capability": result.rate_capability,
        },
        series={
            "profiles": profiles,
            "half_cycle_memo": memo.to_frame() if memo is not None else pd.DataFrame(),
        },
        warnings=result.warnings,
        detail=result,
        reuse={"reused": recorder.reused, "computed": recorder.computed},
    )
