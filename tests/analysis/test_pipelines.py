"""The pipelines on files nobody shaped for them (the shared peer files): voltage-profile curves
agree with the half-cycle capacities, EIS series give the same JSON every time and report
real progress, and parameters are checked one way."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import pipelines
from analysis.params import ParameterError
from analysis.readers import ParseError, read
from analysis.serial import differences

MAX_BYTES = 20_000_000  # keeps the walk over the shared files short


def _files(root: Path, kind: str) -> list[Path]:
    with (root / "MANIFEST.tsv").open() as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    paths = [root / r["local_path"] for r in rows if r["kind"] == kind]
    return [p for p in paths if p.is_file() and p.stat().st_size < MAX_BYTES]


def test_profile_curves_end_at_each_half_cycles_capacity(conformance_data: Path) -> None:
    checked = 0
    for path in _files(conformance_data, "cycling"):
        try:
            source = read(path)
        except ParseError:
            continue  # summaries and other tables the readers refuse
        if source.kind != "cycling":
            continue
        try:
            result = pipelines.run("cycling", source.table, {"cell_type": "full"})
        except ValueError:
            continue  # a table the analysis refuses with a message (tested elsewhere)
        profiles = result.series["profiles"]
        half = result.tables["half_cycles"]
        if half.empty:
            continue
        ends = profiles.groupby("half_cycle")["capacity_mAh"].last()
        np.testing.assert_allclose(
            ends.to_numpy(),
            np.abs(half["integrated_capacity_mAh"].to_numpy()),
            rtol=1e-9,
            atol=1e-12,
            err_msg=str(path),
        )
        rows = (half["last_row"] - half["first_row"] + 1).to_numpy()
        assert len(profiles) == rows.sum(), path  # every row of every half-cycle, once
        assert (profiles.groupby("half_cycle").size().to_numpy() == rows).all(), path
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("circuit", [None, "R0-p(R1,CPE1)-p(R2,CPE2)"])
def test_eis_series_gives_the_same_json_every_time_and_real_progress(
    conformance_data: Path, circuit: str | None
) -> None:
    """A series made of pyDRTtools' published spectra (one per file, read by our readers)."""
    folder = conformance_data / "eis/ciuccislab+pyDRTtools/tutorial/data"
    names = ["1ZARC.csv", "2ZARC0.csv", "2ZARC1.csv", "2ZARC2.csv", "2ZARC3.csv"]
    frames = []
    for k, name in enumerate(names):
        table = read(folder / name).table
        frames.append(table.assign(spectrum=k))
    series = pd.concat(frames, ignore_index=True)
    params = {"circuit": circuit} if circuit else {}
    seen: list[float] = []
    first = pipelines.run("eis", series, params, progress=seen.append)
    again = pipelines.run("eis", series, params)
    assert differences(first.to_json(), again.to_json()) == []
    assert len(first.tables["resistances"]) == first.summary["spectra"] == len(names)
    assert seen[-1] == 1.0 and seen == sorted(seen) and len(seen) == len(names) + 1
    for spectrum in first.summary["details"]:
        assert spectrum["kk"]["M"] >= 1 and spectrum["drt"]["tau_s"]
        p = spectrum["fit"]["parameters"]
        if "R2" in p and "CPE2_0" in p:  # two interchangeable arcs: reported fastest first
            taus = [(p[f"R{i}"] * p[f"CPE{i}_0"]) ** (1 / p[f"CPE{i}_1"]) for i in (1, 2)]
            assert taus[0] <= taus[1]
        assert len(spectrum["curve"]["residual_real"]) == len(frames[spectrum["spectrum"]])


def test_parameters_are_checked_by_name_type_and_presence() -> None:
    cycling = pipelines.get("cycling")
    with pytest.raises(ParameterError) as missing:
        cycling.validate({})
    assert missing.value.name == "cell_type"
    with pytest.raises(ParameterError) as unknown:
        cycling.validate({"cell_type": "half", "colour": "red"})
    assert unknown.value.name == "colour"
    with pytest.raises(ParameterError) as wrong:
        cycling.validate({"cell_type": "half", "area_cm2": "big"})
    assert wrong.value.name == "area_cm2"
    params = cycling.validate({"cell_type": "full", "short_circuit_rules": ["soft_short_ce"]})
    assert params.to_dict()["short_circuit_rules"] == ["soft_short_ce"]
    # a stored job's parameters under an earlier name stay valid
    peel = pipelines.get("peel").validate({"width_mm": 20})
    assert peel.to_dict()["sample_width_mm"] == 20.0
    with pytest.raises(ValueError, match="unknown analysis 'xrd'"):
        pipelines.get("xrd")


def test_every_parameter_is_documented_and_names_its_unit() -> None:
    for pipeline in pipelines.PIPELINES.values():
        for spec in pipeline.parameters():
            assert spec.doc, (pipeline.kind, spec.name)
            if spec.unit:
                suffix = spec.unit.replace("/", "_").replace("cm2", "cm2")
                assert spec.name.endswith(suffix) or spec.name.endswith(spec.unit), (
                    pipeline.kind,
                    spec.name,
                    spec.unit,
                )


def test_the_result_comparison_sees_real_differences() -> None:
    assert differences({"a": 1.0, "n_evaluations": 3}, {"a": 1.0 + 1e-13, "n_evaluations": 4}) == []
    assert differences({"a": 1.0}, {"a": 1.001}) == ["$.a: 1.0 != 1.001"]
    assert differences({"c": "R0-p(R1,CPE1)"}, {"c": "R0"}) != []
    assert differences({"n": [1, 2]}, {"n": [1, 3]}) == ["$.n[1]: 2 != 3"]
