"""Study statistics on /compare/ and in the API, one-click exclusion of runs that deviate from
their protocol, CE error bounds from the instrument's accuracy, and the channel health view:
on cells written here, through the normal ingest pipeline."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import uuid
import zipfile
from typing import Any

import numpy as np
import pytest
from django.test import Client
from scipy import stats

from labdb import models as m
from tests.labdb.statistics.conftest import half_cell_csv
from tests.labdb.web.conftest import make_run

# average CE (fraction) of each cell: four MgAgSn-Elastane cells, one far below the others,
# two Mg-Elastane cells 1e-5 apart (the spread the old table printed as "± 0.000")
CES = {
    "MgAgSn-E-HC1": 0.980,
    "MgAgSn-E-HC2": 0.981,
    "MgAgSn-E-HC3": 0.979,
    "MgAgSn-E-HC4": 0.950,
    "Mg-E-HC1": 0.99620,
    "Mg-E-HC2": 0.99621,
}
DEVIATING = "MgAgSn-E-HC3"  # runs cycles 2-3 at 1.2 mA/cm2
CHANNEL = {  # BCS-805-1 channel and start date of each run
    "MgAgSn-E-HC1": ("3", dt.datetime(2026, 3, 1, tzinfo=dt.UTC)),
    "MgAgSn-E-HC2": ("3", dt.datetime(2026, 4, 1, tzinfo=dt.UTC)),
    "MgAgSn-E-HC3": ("4", dt.datetime(2026, 4, 2, tzinfo=dt.UTC)),
    "MgAgSn-E-HC4": ("4", dt.datetime(2026, 4, 3, tzinfo=dt.UTC)),
    "Mg-E-HC1": ("3", dt.datetime(2026, 5, 1, tzinfo=dt.UTC)),
    "Mg-E-HC2": ("5", dt.datetime(2026, 5, 2, tzinfo=dt.UTC)),
}
OFFSET_MA = 0.02 / 100 * 10.0  # 0.02 % of the 10 mA range


def _copy_cell(label: str, like: str) -> None:
    cell = m.Cell.objects.get(label=like)
    cell.pk = uuid.uuid4()
    cell.label = label
    cell._state.adding = True
    cell.save()


@pytest.fixture
def study(demo: m.Project, demo_user: Any, ingest: Any) -> dict[str, m.AnalysisResult]:
    instrument = m.Instrument.objects.get(label="BCS-805-1")
    instrument.current_accuracy_pct_of_reading = 0.05
    instrument.current_accuracy_pct_of_range = 0.02
    instrument.current_range_mA = 10.0
    instrument.time_accuracy_ppm = 50.0
    instrument.calibrated_on = dt.date(2026, 1, 15)
    instrument.save()
    for label in ("MgAgSn-E-HC3", "MgAgSn-E-HC4"):
        _copy_cell(label, "MgAgSn-E-HC1")
    out = {}
    for label, ce in CES.items():
        channel, started = CHANNEL[label]
        run = make_run(
            demo,
            demo_user,
            f"{label}-PS",
            label,
            "PS-1mA-1mAh",
            instrument=instrument,
            channel=channel,
            started_at=started,
        )
        density = [1.0, 1.2, 1.2, 1.0] if label == DEVIATING else None
        out[label] = ingest(run, half_cell_csv([ce] * 4, density=density), f"{label}.csv").result
    return out


def _row(html: str, group: str) -> str:
    row = re.search(rf'<tr data-group="{re.escape(group)}">(.*?)</tr>', html, re.S)
    assert row, group
    return row.group(1)


def _cell(html: str, group: str, metric: str) -> str:
    cell = re.search(rf'<td data-metric="{metric}"(.*?)</td>', _row(html, group), re.S)
    assert cell, metric
    return cell.group(0)


def test_compare_and_api_statistics(client_demo: Client, study: Any) -> None:
    avg = {k: r.average_coulombic_efficiency for k, r in study.items()}
    mgagsn = [avg[f"MgAgSn-E-HC{i}"] for i in (1, 2, 3, 4)]
    mg = [avg["Mg-E-HC1"], avg["Mg-E-HC2"]]
    assert mg[1] - mg[0] == pytest.approx(1e-5, rel=1e-3)  # the data are what was written

    html = client_demo.get("/compare/?group=seed&kind=half").content.decode()
    mg_cell = _cell(html, "Mg (half)", "average_ce")
    sd = float(np.std(mg, ddof=1)) * 100
    assert f"± {sd:.5f}" in mg_cell and "± 0.000<" not in mg_cell  # no more "± 0.000"
    assert 'data-n="2"' in mg_cell and "95 % CI" in mg_cell
    lo, hi = stats.t.interval(0.95, 1, loc=np.mean(mg), scale=stats.sem(mg))
    assert f"{lo * 100:.5f} to {hi * 100:.5f}" in mg_cell
    ours = _cell(html, "Ag+Mg+Sn (half)", "average_ce")
    assert float(re.search(r'data-mean="([^"]+)"', ours).group(1)) == pytest.approx(  # type: ignore[union-attr]
        np.mean(mgagsn)
    )
    assert 'data-outlier="MgAgSn-E-HC4"' in ours  # 0.95 among 0.98s, with the rule as title
    assert "Iglewicz-Hoaglin" in ours
    welch = stats.ttest_ind(mgagsn, mg, equal_var=False)
    pair = re.search(
        r'<tr data-metric="average_ce" data-pair="Mg \(half\) \| Ag\+Mg\+Sn \(half\)".*?</tr>',
        html,
        re.S,
    )
    assert pair and f"{welch.pvalue:.3f}" in pair.group(0)
    survival = re.search(r'data-testid="survival-table".*?</table>', html, re.S)
    assert survival is not None
    shorted = sum(1 for k in study if k.startswith("MgAgSn") and study[k].short_circuit_cycle)
    group_row = re.search(
        r'<tr data-group="Ag\+Mg\+Sn \(half\)"><th scope="row">[^<]+</th><td>(\d+)</td><td>(\d+)</td>',
        survival.group(0),
    )
    assert group_row and group_row.groups() == ("4", str(shorted))

    api = client_demo.get("/api/v1/statistics/?group=seed&kind=half").json()
    assert api["multiple_comparisons"] == "holm"
    metric = next(x for x in api["metrics"] if x["key"] == "average_ce")
    g = metric["groups"]["Ag+Mg+Sn (half)"]
    assert g["n"] == 4 and g["mean"] == pytest.approx(np.mean(mgagsn))
    assert [o["cell"] for o in g["outliers"]] == ["MgAgSn-E-HC4"]
    (c,) = [
        x
        for x in metric["comparisons"]
        if {x["group_a"], x["group_b"]} == {"Mg (half)", "Ag+Mg+Sn (half)"}
    ]
    assert c["welch_p"] == pytest.approx(welch.pvalue)
    assert c["group_a"] == "Mg (half)"  # the first group's U and sign
    u = stats.mannwhitneyu(mg, mgagsn, alternative="two-sided")
    assert c["mann_whitney_u"] == u.statistic and c["mann_whitney_p"] == pytest.approx(u.pvalue)
    assert c["hedges_g"] > 0 and c["rank_biserial"] == 1.0  # Mg's CE is higher in every pair
    fig = client_demo.get("/compare/plots/survival.json?group=seed&kind=half").json()
    steps = next(t for t in fig["data"] if t["name"] == "Ag+Mg+Sn (half)")
    curves = api["survival"]["curves"]
    api_km = curves["Ag+Mg+Sn (half)"]
    km = [100.0, *(v * 100 for v in api_km["survival"])]
    assert steps["y"] == pytest.approx(km) and steps["x"][1:] == api_km["times"]
    assert curves["Ag+Mg+Sn (half)"]["n"] == 4
    assert client_demo.get("/api/v1/statistics/?group=colour").status_code == 400

    # one click leaves the deviating run's cell out, everywhere the selection goes
    assert 'data-testid="exclude-deviations"' in html and DEVIATING in html
    html = client_demo.get("/compare/?group=seed&kind=half&conforming=1").content.decode()
    assert 'data-n="3"' in _cell(html, "Ag+Mg+Sn (half)", "average_ce")
    left = re.search(r'data-testid="left-out".*?</ul>', html, re.S)
    assert left and DEVIATING in left.group(0) and "cycles 2-3" in left.group(0)
    fig = client_demo.get("/compare/plots/ce.json?group=seed&kind=half&conforming=1").json()
    names = [t["name"] for t in fig["data"]]
    assert len(names) == 5 and not any(DEVIATING in n for n in names)
    api = client_demo.get("/api/v1/statistics/?group=seed&kind=half&conforming=1").json()
    assert list(api["left_out_for_protocol_deviations"]) == [DEVIATING]
    kept = [c for c in api["groups"]["Ag+Mg+Sn (half)"] if c.startswith("MgAgSn-E")]
    assert kept == ["MgAgSn-E-HC1", "MgAgSn-E-HC2", "MgAgSn-E-HC4"]
    # and the study report of that selection (so its package) leaves it out, naming why
    report = client_demo.get("/compare/report.html?group=seed&kind=half&conforming=1")
    text = report.content.decode()
    assert f'data-cell="{DEVIATING}"' not in text and 'data-cell="MgAgSn-E-HC4"' in text
    named = re.search(r'data-testid="report-left-out".*?</p>', text, re.S)
    assert named and DEVIATING in named.group(0) and "cycles 2-3" in named.group(0)
    # grouping by instrument channel
    api = client_demo.get("/api/v1/statistics/?group=channel&kind=half").json()
    assert api["groups"]["BCS-805-1 ch 3 (half)"] == ["Mg-E-HC1", "MgAgSn-E-HC1", "MgAgSn-E-HC2"]


def _bounds(result: m.AnalysisResult) -> tuple[list[float], float]:
    """Per-cycle CE bounds and the average-CE bound worked out here from the stored cycles:
    dCE = CE * offset * (t_charge / Q_charge + t_discharge / Q_discharge), averaged over the
    cycles of the average-CE window."""
    first, last = result.summary["metrics"]["average_coulombic_efficiency_window"]
    per_cycle, window = [], []
    for c in result.cycle_rows().filter(cycle__gte=1).order_by("cycle"):
        v = c.values
        b = (
            c.coulombic_efficiency
            * OFFSET_MA
            * (
                v["charge_duration_h"] / c.charge_capacity_mAh
                + v["discharge_duration_h"] / c.discharge_capacity_mAh
            )
        )
        per_cycle.append(b)
        if first <= c.cycle <= last:
            window.append(b)
    # 1 h plating and 0.98 h stripping at 0.785 mA: near 0.98 * offset * 2 / 0.785
    assert per_cycle[0] == pytest.approx(0.98 * OFFSET_MA * 2 / 0.785, rel=0.05)
    return per_cycle, float(np.mean(window))


def test_ce_bounds_on_pages_and_in_the_csv(client_demo: Client, study: Any) -> None:
    result = study["MgAgSn-E-HC1"]
    cell = result.test_run.cell
    html = client_demo.get(f"/cells/{cell.pk}/").content.decode()
    avg = result.average_coulombic_efficiency
    per_cycle, bound = _bounds(result)
    digits = max(3, 1 - math.floor(math.log10(bound * 100)))
    assert f"{avg * 100:.{digits}f} % ± {bound * 100:.{digits}f} %" in html
    assert "calibrated 2026-01-15" in html
    assert 'data-conformance="ok"' in html  # the badge of a run that followed its protocol
    rows = client_demo.get(f"/cells/{cell.pk}/plots/ce.csv").content.decode().splitlines()
    assert rows[0].endswith("y_error")
    first = rows[1].split(",")
    assert float(first[-1]) == pytest.approx(per_cycle[0] * 100, rel=1e-6)
    # capacity: |Q| (gain + clock) + offset x time, per cm2 as the plot shows it
    rows = client_demo.get(f"/cells/{cell.pk}/plots/capacity.csv").content.decode().splitlines()
    plated = next(r.split(",") for r in rows if r.startswith("plating capacity,cycle,1,"))
    c1 = result.cycle_rows().get(cycle=1)
    q, t = c1.discharge_capacity_mAh, c1.values["discharge_duration_h"]
    expected = (q * (0.05 / 100 + 50e-6) + OFFSET_MA * t) / cell.area_cm2
    assert float(plated[-1]) == pytest.approx(expected, rel=1e-6)
    api = client_demo.get(f"/api/v1/test-runs/{result.test_run.pk}/cycles/?format=csv")
    header, first_row = api.content.decode().splitlines()[:2]
    column = header.split(",").index("coulombic_efficiency_bound")
    assert float(first_row.split(",")[column]) == pytest.approx(per_cycle[0], rel=1e-9)
    # and in the cell's RO-Crate (so the data package): the result's JSON carries the bounds
    crate = client_demo.get(f"/cells/{cell.pk}/export/crate.eln")
    with zipfile.ZipFile(io.BytesIO(b"".join(crate.streaming_content))) as z:
        (name,) = [n for n in z.namelist() if f"/results/cycling-{result.job_id}" in n]
        stored = json.loads(z.read(name))["instrument_bounds"]
    assert stored["average_coulombic_efficiency"] == pytest.approx(bound, rel=1e-9)
    assert stored["coulombic_efficiency"][0] == pytest.approx(per_cycle[0], rel=1e-9)
    assert stored["calibrated_on"] == "2026-01-15"
    run_html = client_demo.get(f"/test-runs/{result.test_run.pk}/").content.decode()
    assert "± " in run_html and 'data-conformance="ok"' in run_html
    bad = study[DEVIATING].test_run
    page = client_demo.get(f"/cells/{bad.cell.pk}/").content.decode()
    assert 'data-conformance="deviations"' in page and 'data-at="2,3"' in page
    run_page = client_demo.get(f"/test-runs/{bad.pk}/").content.decode()
    # 1.2 mA/cm2 for the hour of plating also plated 1.2 mAh/cm2: two checks fail
    assert 'data-deviations="2"' in run_page
    assert 'data-check="current_density" data-at="2,3"' in run_page
    assert 'data-check="areal_capacity" data-at="2,3"' in run_page


def test_channel_health_page_and_api(client_demo: Client, study: Any) -> None:
    instrument = m.Instrument.objects.get(label="BCS-805-1")
    html = client_demo.get("/channels/").content.decode()
    assert f"/instruments/{instrument.pk}/channels/3/" in html
    health = client_demo.get(f"/api/v1/instruments/{instrument.label}/channels/3/").json()
    assert [r["cell"] for r in health["runs"]] == ["MgAgSn-E-HC1", "MgAgSn-E-HC2", "Mg-E-HC1"]
    avg = {k: r.average_coulombic_efficiency for k, r in study.items()}
    peers = np.mean([avg["MgAgSn-E-HC3"], avg["MgAgSn-E-HC4"]])  # same formulation, ch 4
    first = health["runs"][0]
    assert first["residual_from_other_channels"] == pytest.approx(avg["MgAgSn-E-HC1"] - peers)
    assert health["runs"][2]["residual_from_other_channels"] == pytest.approx(
        avg["Mg-E-HC1"] - avg["Mg-E-HC2"]
    )
    bound = _bounds(study["MgAgSn-E-HC1"])[1]
    assert first["average_coulombic_efficiency_bound"] == pytest.approx(bound, rel=1e-9)
    # the API's result gives the same bounds of the average and the cumulative CE
    detail = client_demo.get(f"/api/v1/results/{study['MgAgSn-E-HC1'].job_id}/").json()
    got = detail["instrument_bounds"]
    assert got["average_coulombic_efficiency"] == pytest.approx(bound, rel=1e-9)
    per_cycle = _bounds(study["MgAgSn-E-HC1"])[0]
    hc1 = study["MgAgSn-E-HC1"].cycle_rows().filter(cycle__gte=1).order_by("cycle")
    ces = [c.coulombic_efficiency for c in hc1]
    cumulative = np.prod(ces) * sum(b / ce for b, ce in zip(per_cycle, ces, strict=True))
    assert got["cumulative_coulombic_efficiency"] == pytest.approx(cumulative, rel=1e-6)
    assert got["calibrated_on"] == "2026-01-15" and got["instrument"] == "BCS-805-1"
    days = [0.0, 31.0, 61.0]  # 1 March, 1 April, 1 May
    values = [avg["MgAgSn-E-HC1"], avg["MgAgSn-E-HC2"], avg["Mg-E-HC1"]]
    slope = stats.theilslopes(values, days)[0]
    assert health["average_ce_trend"]["slope_per_day"] == pytest.approx(slope)
    assert health["calibrated_on"] == "2026-01-15"
    page = client_demo.get(f"/instruments/{instrument.pk}/channels/3/").content.decode()
    assert 'data-run="MgAgSn-E-HC2-PS"' in page and "Offset from other channels" in page


def test_export_package_command_leaves_out_deviating_runs(
    study: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """``export_package --conforming`` selects as the page's "leave out deviating runs" does
    (the package build itself is checked in tests/labdb/reports/test_package.py)."""
    from django.core.management import CommandError, call_command

    from labdb.management.commands import export_package

    asked = []

    def stop(**kwargs: Any) -> None:
        asked.append(kwargs["selection"])
        raise CommandError("stopped after the selection")

    monkeypatch.setattr(export_package, "export_request", stop)
    labels = ["MgAgSn-E-HC1", DEVIATING]
    for flags in ([], ["--conforming"]):
        with pytest.raises(CommandError, match="stopped"):
            call_command(
                "export_package", "--cells", *labels, "--group", "channel", *flags,
                "-o", str(tmp_path / "p.zip"),
            )  # fmt: skip
    everything, conforming = asked
    assert [c.label for c in everything.cells] == labels and everything.left_out is None
    assert [c.label for c in conforming.cells] == ["MgAgSn-E-HC1"]
    assert conforming.group_by == "channel"
    messages = conforming.left_out[DEVIATING]  # current density and areal capacity
    assert len(messages) == 2 and all("cycles 2-3" in x for x in messages)
