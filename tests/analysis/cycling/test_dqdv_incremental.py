"""Incremental dQ/dV of a growing file (analysis.cycling.dqdv_reuse): the dQ/dV of a version
computed with the outputs of an earlier version's dQ/dV gives the full computation's result
exactly (JSON with the digests of the curves, dV/dQ and memo series; the frames themselves),
at many split points of generated half and full cells, noisy and shorted; the earlier rows are
really used (reuse counts asserted); a new half-cycle reaching a lower voltage than any before
does not change the earlier half-cycles' rows (their voltage bins are their own)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import pipelines
from analysis.cycling import dqdv_reuse
from analysis.pipelines.base import Result
from analysis.pipelines.cv import CyclingCurves
from analysis.serial import differences
from analysis.simulate.cells import generate_cell
from analysis.simulate.cells.spec import CellSpec, Realism

CYCLING = pipelines.get("cycling")
DQDV = pipelines.get("dqdv")


def _curves(table: pd.DataFrame, cell_type: str) -> CyclingCurves:
    out = CYCLING.run(table, CYCLING.validate({"cell_type": cell_type}))
    return CyclingCurves(out.series["profiles"], out.tables["half_cycles"], out.warnings)


def _previous(result: Result) -> dict[str, pd.DataFrame]:
    """The earlier result's outputs as a job reads them back from the blob store."""
    return {
        "dqdv": result.series["dqdv"],
        "dvdq": result.series["dvdq"],
        "dqdv_memo": result.series["dqdv_memo"],
        "dqdv_peaks": result.tables["dqdv_peaks"],
    }


def _assert_same(grown: Result, full: Result, where: object) -> None:
    assert differences(grown.to_json(), full.to_json()) == [], where
    for name in ("dqdv", "dvdq", "dqdv_memo"):
        pd.testing.assert_frame_equal(grown.series[name], full.series[name], obj=f"{name} {where}")
    pd.testing.assert_frame_equal(grown.tables["dqdv_peaks"], full.tables["dqdv_peaks"])


CELLS = [
    ("healthy half cell", CellSpec("half", 16), 31),
    ("half cell, soft short", CellSpec("half", 20, short_kind="soft", short_onset=8), 32),
    ("full cell", CellSpec("full", 12), 33),
    (
        "full cell, hard short, noisy",
        CellSpec("full", 14, short_kind="hard", short_onset=7, realism=Realism(noise_V=0.002)),
        34,
    ),
]


@pytest.mark.parametrize(("name", "spec", "seed"), CELLS, ids=[c[0] for c in CELLS])
def test_incremental_dqdv_equals_the_full_one_at_many_split_points(
    name: str, spec: CellSpec, seed: int
) -> None:
    table = generate_cell(spec, seed=seed).table
    params = DQDV.validate({"cell_type": spec.cell_type})
    full = DQDV.run(pd.DataFrame(), params, cycling=_curves(table, spec.cell_type))
    rng = np.random.default_rng(seed)
    reused = 0
    for rows in sorted(set(rng.integers(len(table) // 5, len(table) - 2, size=8).tolist())):
        earlier = DQDV.run(
            pd.DataFrame(), params, cycling=_curves(table.iloc[:rows], spec.cell_type)
        )
        grown = DQDV.run(
            pd.DataFrame(),
            params,
            cycling=_curves(table, spec.cell_type),
            previous=_previous(earlier),
        )
        _assert_same(grown, full, (name, rows))
        assert grown.reuse["reused"] + grown.reuse["computed"] == full.reuse["computed"]
        reused += grown.reuse["reused"]
        # the reused rows are the earlier result's first rows, as the store is told
        for series, shared in grown.shared_rows.items():
            before = earlier.series.get(series, earlier.tables.get(series))
            assert before is not None
            pd.testing.assert_frame_equal(
                grown.series.get(series, grown.tables.get(series)).iloc[:shared],
                before.iloc[:shared],
            )
    assert reused > 0, name


def test_a_chain_of_versions_each_from_the_one_before() -> None:
    table = generate_cell(CellSpec("half", 24, short_kind="hard", short_onset=15), seed=41).table
    params = DQDV.validate({"cell_type": "half"})
    previous = None
    for rows in np.linspace(len(table) // 6, len(table), 7).astype(int).tolist():
        curves = _curves(table.iloc[:rows], "half")
        grown = DQDV.run(pd.DataFrame(), params, cycling=curves, previous=previous)
        _assert_same(grown, DQDV.run(pd.DataFrame(), params, cycling=curves), rows)
        if previous is not None:
            # every half-cycle of the earlier version is kept but the last one or two (the one
            # it was still writing, and where the cycling analysis split it differently)
            before = len(previous["dqdv_memo"])
            assert grown.reuse["reused"] >= before - 2, (rows, before, grown.reuse)
        previous = _previous(grown)


def test_a_new_lowest_voltage_leaves_the_earlier_half_cycles_as_they_were() -> None:
    """The last half-cycle goes 50 mV below every earlier record: the earlier half-cycles'
    curves keep their voltages and values (bins anchored at whole multiples of bin_V)."""
    table = generate_cell(CellSpec("full", 8), seed=7).table
    curves = _curves(table, "full")
    profiles = curves.profiles.copy()
    last = profiles["half_cycle"] == profiles["half_cycle"].max()
    before = DQDV.run(
        pd.DataFrame(),
        DQDV.validate({"cell_type": "full"}),
        cycling=CyclingCurves(profiles[~last].reset_index(drop=True), curves.half_cycles),
    ).series["dqdv"]
    profiles.loc[last, "voltage_volt"] = profiles.loc[last, "voltage_volt"] - (
        profiles["voltage_volt"].max() - profiles["voltage_volt"].min() + 0.05
    )
    after = DQDV.run(
        pd.DataFrame(),
        DQDV.validate({"cell_type": "full"}),
        cycling=CyclingCurves(profiles, curves.half_cycles),
    ).series["dqdv"]
    kept = after[after["half_cycle"].isin(before["half_cycle"].unique())].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, before.reset_index(drop=True))


def test_other_parameters_reuse_nothing() -> None:
    table = generate_cell(CellSpec("half", 10), seed=5).table
    earlier = DQDV.run(
        pd.DataFrame(),
        DQDV.validate({"cell_type": "half"}),
        cycling=_curves(table.iloc[: len(table) // 2], "half"),
    )
    curves = _curves(table, "half")
    other = DQDV.run(
        pd.DataFrame(),
        DQDV.validate({"cell_type": "half", "smooth_V": 0.02}),
        cycling=curves,
        previous=_previous(earlier),
    )
    assert other.reuse["reused"] == 0 and other.reuse["computed"] > 0
    same = DQDV.run(
        pd.DataFrame(),
        DQDV.validate({"cell_type": "half"}),
        cycling=curves,
        previous=_previous(earlier),
    )
    assert same.reuse["reused"] > 0


def test_earlier_curves_given_unread_are_referred_to_and_the_digests_are_the_full_ones() -> None:
    """A job gives the earlier curves unread (StoredSeries): the result refers to their first
    rows (GrownSeries) without loading them, its JSON (the grouped digests of the curves
    included) is the full analysis's, and the series read whole are the full frames."""
    from analysis.series import GrownSeries, StoredSeries, compose_digest, group_digests

    table = generate_cell(CellSpec("half", 18), seed=44).table
    params = DQDV.validate({"cell_type": "half"})
    full = DQDV.run(pd.DataFrame(), params, cycling=_curves(table, "half"))
    earlier = DQDV.run(
        pd.DataFrame(), params, cycling=_curves(table.iloc[: len(table) * 3 // 4], "half")
    )
    loads: list[str] = []

    def stored(name: str) -> StoredSeries:
        frame = earlier.series[name]

        def load() -> pd.DataFrame:
            loads.append(name)
            return frame

        return StoredSeries(f"sha-of-{name}", len(frame), tuple(frame.columns), load)

    previous = {**_previous(earlier), "dqdv": stored("dqdv"), "dvdq": stored("dvdq")}
    grown = DQDV.run(pd.DataFrame(), params, cycling=_curves(table, "half"), previous=previous)
    assert grown.reuse["reused"] > grown.reuse["computed"] > 0
    for name in ("dqdv", "dvdq"):
        series = grown.series[name]
        assert isinstance(series, GrownSeries) and series.base.ref == f"sha-of-{name}"
        assert series.shared_rows == grown.shared_rows[name] > len(series.tail) > 0
    assert differences(grown.to_json(), full.to_json()) == []
    assert loads == []  # the JSON and its digests came without reading the earlier curves
    for name in ("dqdv", "dvdq"):
        pd.testing.assert_frame_equal(grown.frame(name), full.series[name], obj=name)
        # the grouped digest is checked from the series alone: per half-cycle, composed
        entry = full.to_json()["series"][name]
        assert entry["digest"] == "labdb.series-digest/2" and entry["groups"] == "half_cycle"
        assert compose_digest(group_digests(grown.frame(name), "half_cycle")) == entry["sha256"]
    assert sorted(loads) == ["dqdv", "dqdv", "dvdq", "dvdq"]


def _fresh_fingerprints(inputs: dqdv_reuse.Inputs) -> np.ndarray:
    kept = list(dqdv_reuse._kept)
    dqdv_reuse._kept.clear()
    try:
        return dqdv_reuse.fingerprints(inputs)
    finally:
        dqdv_reuse._kept.clear()
        dqdv_reuse._kept.extend(kept)


@pytest.mark.parametrize("seed", range(8))
def test_fingerprints_taken_from_kept_inputs_are_the_hashed_ones(seed: int) -> None:
    """Half-cycles of a version taken from the earlier version's kept fingerprints, beside
    half-cycles whose values (one bit, a NaN, -0.0), rows, cycle (1 against 1.0) or kind
    changed: each fingerprint is the one hashed from scratch."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 60))
    sizes = rng.integers(1, 40, size=n)
    stops = np.cumsum(sizes)
    starts = stops - sizes
    q, v = rng.random(int(stops[-1])), 3.0 + rng.random(int(stops[-1]))
    cycle = np.array([i // 2 + 1 for i in range(n)], dtype=object)
    kind = np.array(["plating" if i % 2 else "stripping" for i in range(n)], dtype=object)
    first = dqdv_reuse.Inputs(q, v, starts, stops, np.arange(n), cycle, kind)
    dqdv_reuse.fingerprints(first)
    q2, v2, cycle2, kind2, stops2 = q.copy(), v.copy(), cycle.copy(), kind.copy(), stops.copy()
    at = rng.integers(0, len(q), size=3)
    q2[at[0]] = np.nextafter(q2[at[0]], 2.0)
    v2[at[1]] = np.nan if seed % 2 else -0.0
    k = int(rng.integers(0, n))
    cycle2[k] = float(cycle2[k])  # the same number, another text
    kind2[(k + 3) % n] = "rest"
    stops2[-1] -= min(1, int(sizes[-1]) - 1)  # the last half-cycle cut
    later = dqdv_reuse.Inputs(q2, v2, starts, stops2, np.arange(n), cycle2, kind2)
    got = dqdv_reuse.fingerprints(later)
    assert got.tolist() == _fresh_fingerprints(later).tolist()
    changed = got != _fresh_fingerprints(first)
    assert changed[k] and changed[(k + 3) % n]  # those were hashed again, and differ
    longer = dqdv_reuse.Inputs(
        np.append(q2, rng.random(5)),
        np.append(v2, 3.5 + rng.random(5)),
        np.append(starts, stops2[-1]),
        np.append(stops2, stops2[-1] + 5),
        np.arange(n + 1),
        np.append(cycle2, n),
        np.append(kind2, "plating"),
    )
    assert dqdv_reuse.fingerprints(longer).tolist() == _fresh_fingerprints(longer).tolist()


@pytest.mark.parametrize("seed", range(12))
def test_items_compare_as_the_fingerprint_writes_them(seed: int) -> None:
    """``_same_items`` (labels, cycles and kinds of kept inputs against a version's) is the
    element-by-element comparison of their text (``str`` or ``repr`` of each value) for
    texts, missing values, numbers as objects (1 against 1.0 or True), and float columns
    (-0.0 against 0.0, NaN against NaN)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 50))
    pool: list[object] = ["plating", "stripping", "rest", "", None, np.nan, 1, 1.0, True, -0.0, 0.0]
    if seed % 3 == 2:  # float columns
        a = rng.choice([0.0, -0.0, 1.0, 2.5, np.nan], size=n)
        b = np.where(rng.random(n) < 0.3, rng.choice([0.0, -0.0, 1.0, np.nan], size=n), a)
    else:  # object arrays (one item more, cut off, so that numpy keeps them 1-D objects)
        a = np.array([pool[i] for i in rng.integers(0, len(pool), n)] + [""], dtype=object)[:n]
        swap = rng.random(n) < 0.4
        b = np.array(
            [
                pool[int(rng.integers(0, len(pool)))] if s else x
                for s, x in zip(swap, a, strict=True)
            ]
            + [""],
            dtype=object,
        )[:n]
    for text in (str, repr):
        expected = [text(x) == text(y) for x, y in zip(a.tolist(), b.tolist(), strict=True)]
        assert dqdv_reuse._same_items(a, b, text).tolist() == expected
