"""The cell page and its plot endpoints: metrics, JSON plots, CSV downloads, isolation."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from labdb import models as m


def plot(client: Client, cell: str, name: str, query: str = "") -> dict[str, Any]:
    response = client.get(f"/cells/{cell}/plots/{name}.json{query}")
    assert response.status_code == 200, response.content[:300]
    return response.json()  # type: ignore[no-any-return]


def test_cell_page_shows_metrics_and_plot_cards(client_demo: Client, cycling: Any) -> None:
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    for key in (cell.label, str(cell.pk)):
        response = client_demo.get(f"/cells/{key}/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "98.00 %" in html  # initial CE of the ingested file
        assert "no short in 5 cycles" in html
        assert f"/cells/{cell.pk}/plots/ce.json?run={cycling.test_run_id}" in html
        assert f"/cells/{cell.pk}/plots/ce.csv" in html
        assert "Made from" in html and "History" in html  # the generic record content stays
        assert "/vendor/plotly-" in html


def test_ce_plot_json_and_csv_carry_the_stored_values(client_demo: Client, cycling: Any) -> None:
    fig = plot(client_demo, "MgAgSn-E-HC1", "ce")
    (tr,) = fig["data"]
    assert tr["x"] == [1, 2, 3, 4, 5]
    stored = list(
        cycling.cycle_rows().order_by("cycle").values_list("coulombic_efficiency", flat=True)
    )
    assert tr["y"] == pytest.approx([v * 100 for v in stored])
    assert tr["y"][0] == pytest.approx(98.0, abs=0.2)
    response = client_demo.get("/cells/MgAgSn-E-HC1/plots/ce.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [int(r["x"]) for r in rows] == [1, 2, 3, 4, 5]
    assert float(rows[0]["y"]) == pytest.approx(stored[0] * 100)
    assert rows[0]["y_quantity"] == "CE (%)"


def test_voltage_profile_spans_one_mah_per_cm2_each_way(client_demo: Client, cycling: Any) -> None:
    fig = plot(client_demo, "MgAgSn-E-HC1", "profiles", "?cycles=1,3")
    assert [t["name"] for t in fig["data"]] == ["cycle 1", "cycle 3"]
    xs = [x for x in fig["data"][0]["x"] if x is not None]
    assert max(xs) == pytest.approx(1.0, abs=0.02)  # 0.785 mAh on 0.785 cm2 plated
    ys = {round(y, 3) for y in fig["data"][0]["y"] if y is not None}
    assert ys == {-0.02, 0.02}


def test_other_cycling_plots_answer_with_data(client_demo: Client, cycling: Any) -> None:
    for name in ("cumulative-ce", "voltage-time", "capacity", "overpotential"):
        fig = plot(client_demo, "MgAgSn-E-HC1", name)
        assert fig["data"] and "empty" not in fig, name
    capacity = plot(client_demo, "MgAgSn-E-HC1", "capacity")
    plating = capacity["data"][0]
    assert plating["name"] == "plating capacity"
    assert plating["y"][0] == pytest.approx(1.0, rel=3e-3)  # mAh/cm2
    vt = plot(client_demo, "MgAgSn-E-HC1", "voltage-time")
    assert max(vt["data"][0]["x"]) == pytest.approx(cycling.total_time_h, rel=0.02)


def test_cell_without_results_shows_empty_plots(client_demo: Client, blobs: Any) -> None:
    fig = plot(client_demo, "Ag-E-HC1", "ce")
    assert fig["data"] == [] and "No cycling result" in fig["empty"]
    assert client_demo.get("/cells/Ag-E-HC1/").status_code == 200


def test_eis_plots_draw_the_stored_fit(client_demo: Client, eis_after: Any) -> None:
    nyquist = plot(client_demo, "MgAgSn-E-HC1", "nyquist")
    names = [t["name"] for t in nyquist["data"]]
    assert "after 5 cycles" in names and "after 10 cycles" in names
    assert any(n.startswith("after 5 cycles fit (") for n in names)
    residuals = [t for t in nyquist["data"] if "residual" in t["name"]]
    assert residuals and all(abs(v) < 5 for t in residuals for v in t["y"])  # percent
    bode = plot(client_demo, "MgAgSn-E-HC1", "bode")
    assert any(t.get("yaxis") == "y2" for t in bode["data"])
    drt = plot(client_demo, "MgAgSn-E-HC1", "drt")
    assert max(drt["data"][0]["y"]) > 0
    rc = plot(client_demo, "MgAgSn-E-HC1", "resistance-cycle")
    rct = next(t for t in rc["data"] if t["name"] == "RCT")
    assert rct["x"] == [5, 10]
    stored = eis_after[10].spectra.get().rct_ohm_cm2
    assert rct["y"][1] == pytest.approx(stored)


def test_unknown_plot_is_404(client_demo: Client, blobs: Any) -> None:
    assert client_demo.get("/cells/MgAgSn-E-HC1/plots/nope.json").status_code == 404
    assert client_demo.get("/cells/MgAgSn-E-HC1/plots/ce.xml").status_code == 404


def test_another_projects_user_gets_404(client: Client, outsider: Any, cycling: Any) -> None:
    client.force_login(outsider)
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    for url in (
        f"/cells/{cell.pk}/",
        "/cells/MgAgSn-E-HC1/",
        "/cells/MgAgSn-E-HC1/plots/ce.json",
        "/cells/MgAgSn-E-HC1/plots/ce.csv",
        "/batches/MgAgSn-Elastane-B1/",
        "/batches/MgAgSn-Elastane-B1/plots/peel.json",
    ):
        assert client.get(url).status_code == 404, url


def test_anonymous_is_sent_to_login(client: Client, demo: Any) -> None:
    response = client.get("/cells/MgAgSn-E-HC1/plots/ce.json")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_cell_list_links_rows_and_shows_ice(client_demo: Client, cycling: Any) -> None:
    html = client_demo.get("/cells/?q=MgAgSn-E-HC1").content.decode()
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    assert f'href="/cells/{cell.pk}/"' in html
    assert "ICE" in html and "98.00 %" in html


def test_batch_page_plots_peel_with_its_plateau(client_demo: Client, peel: Any) -> None:
    response = client_demo.get("/batches/MgAgSn-Elastane-B1/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/plots/peel.json" in html and "Made from" in html
    fig = client_demo.get("/batches/MgAgSn-Elastane-B1/plots/peel.json").json()
    plateau = fig["data"][1]
    assert plateau["y"] == [pytest.approx(peel.summary["mean_force_N"])] * 2
    assert plateau["x"] == [peel.summary["plateau_start_mm"], peel.summary["plateau_end_mm"]]
    assert len(fig["data"][0]["x"]) > 100
