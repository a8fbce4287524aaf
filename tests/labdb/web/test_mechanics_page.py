"""Mechanics results on the batch page, from stored results of real (simulated) files: peel per
specimen and per set with early detachment and stick-slip, scratch L_c1/L_c2 with the acoustic
emission read from the file, and an indentation array: the curves of the set with H and Er per
indent and mean +- sd."""

from __future__ import annotations

import re
import statistics
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from analysis.simulate.mechanics import (
    PVDF,
    indentation_array,
    simulate_peel,
    simulate_scratch,
)
from labdb import models as m
from tests.labdb.web.conftest import make_run

BATCH = "MgAgSn-Elastane-B1"
INDENTS = [
    {"hardness_GPa": 0.10, "reduced_modulus_GPa": 5.0, "max_load_mN": 1.0},
    {"hardness_GPa": 0.12, "reduced_modulus_GPa": 5.5, "max_load_mN": 1.0, "hold": "depth",
     "relaxation_fraction": 0.2},
    {"hardness_GPa": 0.08, "reduced_modulus_GPa": 4.5, "max_load_mN": 0.8},
]  # fmt: skip


@pytest.fixture
def mechanics(
    demo: m.Project, demo_user: Any, ingest: Any, tmp_path: Path
) -> dict[str, m.AnalysisResult]:
    out = {}
    specimens = {
        "P1": {"peel_strength_gf_per_mm": 20.0, "seed": 1},
        "P2": {"peel_strength_gf_per_mm": 18.0, "seed": 2, "stick_slip_fraction": 0.3},
        "P3": {"peel_strength_gf_per_mm": 2.0, "seed": 3, "detach_after_mm": 2.0},
    }
    for name, spec in specimens.items():
        run = make_run(demo, demo_user, f"E-B1-PEEL-{name}", BATCH, "PEEL-180")
        path = simulate_peel(tmp_path / f"peel{name}.csv", **spec)
        out[name] = ingest(run, path.read_bytes(), path.name).result
    run = make_run(demo, demo_user, "E-B1-SCRATCH", BATCH, "SCRATCH-2mm")
    path = simulate_scratch(
        tmp_path / "scratch.csv",
        **{**PVDF["scratch"], "first_crack_load_mN": 10.0},
        acoustic_emission_header="Acoustic emission (%)",
    )
    out["scratch"] = ingest(run, path.read_bytes(), path.name).result
    table, _ = indentation_array(INDENTS, seed=4)
    lines = ["Time (s),Depth (nm),Load (mN)"] + [
        f"{t},{h},{p}" for t, h, p in table[["time_s", "depth_nm", "load_mN"]].to_numpy()
    ]
    run = make_run(demo, demo_user, "E-B1-INDENT-ARRAY", BATCH, "INDENT-1mN")
    out["indent"] = ingest(run, ("\n".join(lines) + "\n").encode(), "array.csv").result
    return out


def _cell(html: str, testid: str, attr: str) -> float:
    found = re.search(rf'data-testid="{testid}"[^>]*>.*?{attr}="([^"]+)"', html, re.S)
    assert found, (testid, attr)
    return float(found.group(1))


def test_peel_per_specimen_and_per_set(
    client_demo: Client, mechanics: dict[str, m.AnalysisResult]
) -> None:
    p1, p2, p3 = (mechanics[k].summary for k in ("P1", "P2", "P3"))
    assert p1["peel_strength_gf_per_mm"] == pytest.approx(20.0, rel=0.05)
    assert p2["stick_slip"] and not p1["stick_slip"]
    assert p3["detached_early"] and not p1["detached_early"]
    html = client_demo.get(f"/batches/{BATCH}/").content.decode()
    table = html[html.index('data-testid="peel-specimens"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r'<tr data-run="([^"]+)"(?: class="flagged")?>(.*?)</tr>', table, re.S)
    assert [r for r, _ in rows] == ["E-B1-PEEL-P1", "E-B1-PEEL-P2", "E-B1-PEEL-P3"]
    body = dict(rows)
    assert 'data-flag="stick-slip"' in body["E-B1-PEEL-P2"]
    assert 'data-flag="detached early"' in body["E-B1-PEEL-P3"]
    assert "data-flag" not in body["E-B1-PEEL-P1"]
    assert "peeled over" in body["E-B1-PEEL-P3"]  # the analysis' own warning shown
    strengths = [s["peel_strength_gf_per_mm"] for s in (p1, p2, p3)]
    assert _cell(table, "peel-set", "data-mean") == pytest.approx(statistics.fmean(strengths))
    assert _cell(table, "peel-set", "data-sd") == pytest.approx(statistics.stdev(strengths))
    assert "Set (n = 3)" in table and "2 specimens with a warning" in table


def test_scratch_lc1_from_acoustic_emission_and_lc2_on_the_page_and_plot(
    client_demo: Client, mechanics: dict[str, m.AnalysisResult]
) -> None:
    s = mechanics["scratch"].summary
    assert s["lc1_mN"] == pytest.approx(10.0, abs=1.5) and s["lc2_mN"] == pytest.approx(17, abs=0.5)
    html = client_demo.get(f"/batches/{BATCH}/").content.decode()
    table = html[html.index('data-testid="scratch-results"') :]
    table = table[: table.index("</table>")]
    values = [float(v) for v in re.findall(r'data-value="([^"]+)"', table)]
    assert values == pytest.approx([s["lc1_mN"], s["lc2_mN"]])
    assert "(acoustic emission)" in table
    fig = client_demo.get(f"/batches/{BATCH}/plots/scratch.json").json()
    names = [t["name"] for t in fig["data"]]
    assert f"Lc1 {s['lc1_mN']:.3g} mN" in names and f"critical load {s['lc2_mN']:.3g} mN" in names


def test_indentation_array_curves_with_h_and_er_per_indent_and_the_set(
    client_demo: Client, mechanics: dict[str, m.AnalysisResult]
) -> None:
    summary = mechanics["indent"].summary
    assert summary["indent_count"] == 3
    hardness = [i["hardness_GPa"] for i in summary["indents"]]
    assert hardness == pytest.approx([i["hardness_GPa"] for i in INDENTS], rel=0.02)
    html = client_demo.get(f"/batches/{BATCH}/").content.decode()
    assert "/plots/indentation-set.json" in html
    assert _cell(html, "indentation-mean", "data-mean") == pytest.approx(statistics.fmean(hardness))
    assert _cell(html, "indentation-mean", "data-sd") == pytest.approx(statistics.stdev(hardness))
    fig = client_demo.get(f"/batches/{BATCH}/plots/indentation-set.json").json()
    assert len(fig["data"]) == 3
    for k, (tr, indent) in enumerate(zip(fig["data"], summary["indents"], strict=True)):
        assert tr["name"] == (
            f"E-B1-INDENT-ARRAY indent {k + 1}: H = {indent['hardness_GPa']:.3g} GPa, "
            f"Er = {indent['reduced_modulus_GPa']:.3g} GPa"
        )
        assert max(tr["y"]) == pytest.approx(INDENTS[k]["max_load_mN"], rel=0.25)
    (label,) = fig["layout"]["meta"]["sets"]
    mean = statistics.fmean(hardness)
    assert f"H = {mean:.3g} ± {statistics.stdev(hardness):.2g} GPa" in label and "(n = 3)" in label
    csv_text = client_demo.get(f"/batches/{BATCH}/plots/indentation-set.csv").content.decode()
    assert csv_text.count("indent 3") > 10
    svg = client_demo.get(f"/batches/{BATCH}/figures/indentation-set.svg")
    assert svg.status_code == 200 and b"<svg" in svg.content
