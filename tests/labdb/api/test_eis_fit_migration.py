"""Migration 0021: the filterable columns of stored EIS fits are filled from the physical result
each row already stores, and the rows stay immutable afterwards (the PostgreSQL trigger is back)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from labdb import models as m

BEFORE = ("labdb", "0013_failed_jobs_do_not_block_a_new_attempt")


@pytest.mark.django_db(transaction=True)
def test_0021_fills_fit_columns_from_stored_details_and_keeps_rows_immutable(
    analysed: m.DataFile,
) -> None:
    result = analysed.jobs.get(kind="cycling").result  # (its dQ/dV follow-on has one too)
    details = [
        {"reliable": False, "assignment": {"status": "ambiguous"}, "inductance_h": 2.5e-6},
        {"reliable": True, "assignment": {"status": "confident"}, "inductance_h": None},
        {},  # a row stored before the physical result said any of it
    ]
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    # Rows as a version before 0014 stored them (since 0014 a finished result takes no new rows).
    fit = executor.loader.project_state([BEFORE]).apps.get_model("labdb", "EISSpectrumFit")
    for k, d in enumerate(details):
        fit.objects.create(result_id=result.pk, spectrum=k, circuit="R0-p(R1,C1)", details=d)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    rows = list(
        m.EISSpectrumFit.objects.filter(result=result)
        .order_by("spectrum")
        .values_list("fit_success", "assignment_status", "inductance_h")
    )
    assert rows == [(False, "ambiguous", 2.5e-6), (True, "confident", None), (None, "", None)]
    if connection.vendor == "postgresql":  # the trigger refuses changes again
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE labdb_eisspectrumfit SET fit_success = true")
