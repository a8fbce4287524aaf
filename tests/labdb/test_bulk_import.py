"""Bulk import of lots and cells: a bad row rejects the whole file, listing every error."""

import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from labdb import models as m
from labdb.services.imports import ImportFailed, bulk_import

GOOD_LOTS = """label,material,supplier,lot_number,received_date,d50,purity_pct
Ag-L7,Ag,Sigma-Aldrich,AG-7,2024-05-01,0.03 um,99.9
Sn-L7,Sn,Sigma-Aldrich,SN-7,2024-05-01,150,99
"""


def _csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


@pytest.mark.django_db
def test_good_file_imports_every_row(demo: m.Project, demo_user: Any) -> None:
    created = bulk_import(
        kind="lots", fileobj=_csv(GOOD_LOTS), filename="lots.csv", project=demo, user=demo_user
    )
    assert [c.label for c in created] == ["Ag-L7", "Sn-L7"]
    assert m.MaterialLot.objects.get(label="Ag-L7").d50_nm == pytest.approx(30.0)
    assert m.HistoryEntry.objects.filter(record_label="Sn-L7", action="imported").count() == 1


@pytest.mark.django_db
def test_one_bad_row_rejects_the_whole_file_and_lists_every_error(
    demo: m.Project, demo_user: Any
) -> None:
    text = GOOD_LOTS + "Mg-L7,Mg,X,MG-7,2024-13-01,5 mA,101\nQ-L7,Unobtainium,X,Q-7,,,\n"
    before = m.MaterialLot.objects.count()
    with pytest.raises(ImportFailed) as exc:
        bulk_import(
            kind="lots", fileobj=_csv(text), filename="lots.csv", project=demo, user=demo_user
        )
    assert exc.value.errors == [
        "row 4, received_date: '2024-13-01' is not a date (YYYY-MM-DD)",
        "row 4, d50: 'mA' is not a unit of particle size; accepted units: nm, um, mm",
        "row 5, material: no material 'Unobtainium' in project anodeless-multiseed",
    ]
    assert m.MaterialLot.objects.count() == before
    assert not m.MaterialLot.objects.filter(label__in=["Ag-L7", "Sn-L7"]).exists()


@pytest.mark.django_db
def test_model_rules_apply_to_imported_rows(demo: m.Project, demo_user: Any) -> None:
    text = "label,material,supplier,lot_number,purity_pct\nAg-L8,Ag,S,1,120\nAg-L8,Ag,S,2,99\n"
    with pytest.raises(ImportFailed) as exc:
        bulk_import(
            kind="lots", fileobj=_csv(text), filename="lots.csv", project=demo, user=demo_user
        )
    assert "row 2, purity_pct: purity is a percentage between 0 and 100" in exc.value.errors
    assert not m.MaterialLot.objects.filter(label="Ag-L8").exists()


@pytest.mark.django_db
def test_cells_import_from_xlsx_through_the_page(client_demo: Client, demo: m.Project) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        ["label", "kind", "anode_batch", "lithium_lot", "electrolyte_lot", "area", "stack_pressure"]
    )
    ws.append(
        ["Sn-E-HC9", "half", "Sn-Elastane-B1", "Li-foil-L1", "LPSCl-L1", "78.5 mm2", "50 MPa"]
    )
    ws.append(["Sn-E-HC10", "half", "Sn-Elastane-B1", "", "LPSCl-L1", "0.785", ""])
    buf = io.BytesIO()
    wb.save(buf)
    upload = SimpleUploadedFile("cells.xlsx", buf.getvalue())
    response = client_demo.post("/cells/import/", {"project": demo.pk, "file": upload})
    assert response.status_code == 400  # refused whole, every error listed
    assert response.context["errors"] == [
        "row 3, lithium_lot: a half cell needs a lithium counter electrode lot"
    ]
    assert not m.Cell.objects.filter(label="Sn-E-HC9").exists()


@pytest.mark.django_db
def test_template_lists_the_columns(client_demo: Client) -> None:
    body = client_demo.get("/cells/import/template.csv").content.decode()
    header = body.splitlines()[0]
    assert header.startswith("label,kind,anode_batch,lithium_lot,cathode_lot")


@pytest.mark.django_db
def test_template_round_trips(demo: m.Project, demo_user: Any) -> None:
    """A filled-in template (with its description row kept) imports."""
    from labdb.services.imports import template_csv

    text = template_csv("lots") + "Mg-L9,Mg,S,9,,,800 nm,,99.9,\n"
    created = bulk_import(
        kind="lots", fileobj=_csv(text), filename="t.csv", project=demo, user=demo_user
    )
    assert [c.label for c in created] == ["Mg-L9"]
