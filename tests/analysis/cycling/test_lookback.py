"""What the cycle-level rules continue from this process's last analyses
(analysis.cycling.lookback: the look-back searches and the causal per-cycle baselines) gives
the analysis of a fresh process: a chain of versions of generated cells (healthy, soft and
hard shorts, half and full cells), each analysed after the one before and again with nothing
kept, the JSON compared whole (events, baselines, metrics)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import pipelines
from analysis.cycling import dqdv_reuse, lookback
from analysis.serial import differences
from analysis.simulate.cells import generate_cell
from analysis.simulate.cells.spec import CellSpec, Realism

PIPELINE = pipelines.get("cycling")


def _forget() -> None:
    lookback._searches.clear()
    lookback._computed.clear()
    dqdv_reuse._kept.clear()


@pytest.mark.parametrize(
    ("spec", "seed"),
    [
        (CellSpec("half", 40), 31),
        (CellSpec("half", 45, short_kind="soft", short_onset=24), 32),
        (CellSpec("half", 40, short_kind="hard", short_onset=28), 33),
        (
            CellSpec("full", 30, short_kind="hard", short_onset=18, realism=Realism(noise_V=0.002)),
            34,
        ),
    ],
)
def test_an_analysis_continued_from_the_last_ones_is_a_fresh_processs(
    spec: CellSpec, seed: int
) -> None:
    table = generate_cell(spec, seed=seed).table
    params = PIPELINE.validate({"cell_type": spec.cell_type})
    _forget()
    memo, rules = None, set()
    for rows in np.linspace(len(table) // 3, len(table), 7).astype(int).tolist():
        part = table.iloc[:rows].reset_index(drop=True)
        continued = PIPELINE.run(part, params, previous=memo).to_json()
        # the baselines of the version before were there (the rules that use them: half cells)
        assert lookback._computed or spec.cell_type == "full"
        assert lookback._searches
        _forget()
        fresh = PIPELINE.run(part, params, previous=memo).to_json()
        assert differences(continued, fresh) == [], rows
        memo = PIPELINE.run(part, params, previous=memo).series["half_cycle_memo"]
        rules = {event["rule"] for event in fresh["summary"]["short_circuits"]}
    if spec.short_kind and spec.cell_type == "half":
        # rules whose baselines were continued found the short
        assert rules & {"ce_rise", "ce_cusum", "ce_excursions", "stripping_tail"}, rules


def _running_statistics(values: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
    """A causal per-row computation: each row's median and sum of the values up to it."""
    medians = np.array([np.median(values[: j + 1]) for j in range(start, values.size)])
    sums = np.array([values[: j + 1].sum() for j in range(start, values.size)])
    return medians, sums


@pytest.mark.parametrize("seed", range(6))
def test_continued_takes_only_the_rows_whose_inputs_agree(seed: int) -> None:
    """``continued`` over versions that grow, change a last value, a NaN or -0.0, or another
    key: each output the computation's from the first row, and only the rows from the first
    disagreeing one computed."""
    rng = np.random.default_rng(seed)
    lookback._computed.clear()
    values = rng.normal(size=200)
    computed: list[int] = []

    def run(x: np.ndarray, key: int = 1) -> tuple[np.ndarray, ...]:
        def compute(start: int) -> tuple[np.ndarray, np.ndarray]:
            computed.append(start)
            return _running_statistics(x, start)

        return lookback.continued("running", key, (x,), compute)

    for stop, expect_start in ((50, 0), (120, 50), (120, 120), (200, 120)):
        out = run(values[:stop])
        assert computed[-1] == expect_start
        assert [a.tolist() for a in out] == [
            a.tolist() for a in _running_statistics(values[:stop], 0)
        ]
    changed = values.copy()
    changed[150] = -0.0 if seed % 2 else np.nan
    out = run(changed)
    assert computed[-1] == 150
    np.testing.assert_array_equal(out[1], _running_statistics(changed, 0)[1])
    run(values, key=2)
    assert computed[-1] == 0  # another key: nothing taken
    assert not out[0].flags.writeable
