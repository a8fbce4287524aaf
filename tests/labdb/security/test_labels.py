"""Labels are unique within a project, not across projects: another project's labels can
neither be probed ("already exists") nor taken first, and a duplicate within the project is
refused on the label field, naming only this project."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from labdb import models as m
from tests.labdb.api.conftest import token_client

pytestmark = pytest.mark.django_db


def test_api_create_with_another_projects_label_is_not_an_oracle(
    demo_user: Any, outsider: Any, demo: m.Project
) -> None:
    client = token_client(demo_user, "read-write")
    body = {"project": demo.label, "category": "seed_metal", "name": "Si", "formula": "Si"}
    r = client.post("/api/v1/materials/", {**body, "label": "Secret-Si"}, format="json")
    assert r.status_code == 201, r.json()  # the outsider's label says nothing here
    both = m.Material.objects.filter(label="Secret-Si")
    assert sorted(p.label for p in m.Project.objects.filter(pk__in=both.values("project"))) == [
        "anodeless-multiseed",
        "other-group",
    ]
    r = client.post("/api/v1/materials/", {**body, "label": "Secret-Si"}, format="json")
    assert r.status_code == 400
    message = " ".join(r.json()["label"])
    assert "Secret-Si" in message and demo.label in message
    assert "other-group" not in str(r.json())


def test_web_form_duplicate_is_a_label_error_within_the_project(
    client_demo: Client, demo: m.Project, outsider: Any
) -> None:
    form = {"project": str(demo.pk), "category": "seed_metal", "name": "Si", "formula": "Si"}
    r = client_demo.post("/materials/new/", {**form, "label": "Secret-Si"})
    assert r.status_code == 302
    r = client_demo.post("/materials/new/", {**form, "label": "Secret-Si"})
    assert r.status_code == 200
    page = r.content.decode()
    assert "already exists in project anodeless-multiseed" in page
    assert "other-group" not in page


def test_the_database_refuses_a_duplicate_label_in_a_project(demo: m.Project) -> None:
    mg = m.Material.objects.get(project=demo, label="Mg")
    with pytest.raises(IntegrityError), transaction.atomic():
        m.Material.objects.create(project=demo, label="Mg", category=mg.category, name="Mg")
    other = m.Project.objects.create(label="p2", name="p2")
    m.Material.objects.create(project=other, label="Mg", category=mg.category, name="Mg")
    assert m.Material.objects.filter(label="Mg").count() == 2


@pytest.mark.django_db(transaction=True)
def test_migration_0011_keeps_every_record_and_allows_per_project_labels() -> None:
    """From 0010 (globally unique labels) to 0011 and back, on records made at 0010."""
    executor = MigrationExecutor(connection)
    executor.migrate([("labdb", "0010_result_tables_and_stored_eis_curves")])
    old = executor.loader.project_state(
        [("labdb", "0010_result_tables_and_stored_eis_curves")]
    ).apps
    project = old.get_model("labdb", "Project").objects.create(label="p1", name="p1")
    material = old.get_model("labdb", "Material")
    material.objects.create(project_id=project.pk, label="Mg", category="seed_metal", name="Mg")
    executor = MigrationExecutor(connection)
    executor.migrate([("labdb", "0011_labels_unique_per_project")])
    new = executor.loader.project_state([("labdb", "0011_labels_unique_per_project")]).apps
    material = new.get_model("labdb", "Material")
    assert material.objects.get(label="Mg").project_id == project.pk
    p2 = new.get_model("labdb", "Project").objects.create(label="p2", name="p2")
    material.objects.create(project_id=p2.pk, label="Mg", category="seed_metal", name="Mg")
    with pytest.raises(IntegrityError), transaction.atomic():
        material.objects.create(project_id=p2.pk, label="Mg", category="seed_metal", name="x")
    executor = MigrationExecutor(connection)
    with pytest.raises(RuntimeError, match="used in several projects: material 'Mg'"):
        executor.migrate([("labdb", "0010_result_tables_and_stored_eis_curves")])
    assert material.objects.filter(label="Mg").count() == 2  # nothing was undone
    material.objects.filter(project_id=p2.pk).delete()
    executor = MigrationExecutor(connection)
    executor.migrate([("labdb", "0010_result_tables_and_stored_eis_curves")])
    assert material.objects.filter(label="Mg").count() == 1
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_generated_run_label_does_not_count_other_projects_runs(
    demo_user: Any, demo: m.Project, outsider: Any
) -> None:
    """The API numbers a run without a label <cell>-<protocol>-<n> within the project: another
    project's runs with the same name neither shift n nor show through it."""
    cell = m.Cell.objects.get(label="MgAgSn-E-HC1")
    protocol = m.TestProtocol.objects.get(label="PS-1mA-1mAh")
    other = m.Project.objects.get(label="other-group")
    # their cell of the same label (a run is always in its cell's project, migration 0032)
    theirs = m.Cell.objects.get(pk=cell.pk)
    theirs.pk, theirs.project = uuid.uuid4(), other
    theirs._state.adding = True
    theirs.save()
    m.TestRun.objects.create(
        project=other, label="MgAgSn-E-HC1-PS-1mA-1mAh-1", cell=theirs, protocol=protocol
    )
    client = token_client(demo_user, "read-write")
    body = {"cell": cell.label, "protocol": protocol.label}
    r = client.post("/api/v1/test-runs/", body, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["label"] == "MgAgSn-E-HC1-PS-1mA-1mAh-1"


def test_a_label_in_two_of_my_projects_is_ambiguous_use_the_uuid(
    demo_user: Any, outsider: Any, demo: m.Project, client_demo: Client
) -> None:
    other = m.Project.objects.get(label="other-group")
    m.Membership.objects.create(project=other, user=demo_user)
    m.Material.objects.create(
        project=demo, label="Secret-Si", category="seed_metal", name="Si", formula="Si"
    )
    mine, theirs = (m.Material.objects.get(label="Secret-Si", project=p) for p in (demo, other))
    api = token_client(demo_user, "read-write")
    # a detail URL by label: 400 naming the field and both projects, never one of them at random
    r = api.get("/api/v1/materials/Secret-Si/")
    assert r.status_code == 400
    message = " ".join(r.json()["id_or_label"])
    assert "use its UUID" in message and "anodeless-multiseed" in message
    assert "other-group" in message
    assert api.get(f"/api/v1/materials/{theirs.pk}/").json()["project"] == "other-group"
    # a related record in a body field: 400 on that field; by UUID it is created
    body = {"project": demo.label, "label": "Si-L1", "supplier": "x", "lot_number": "1"}
    r = api.post("/api/v1/lots/", {**body, "material": "Secret-Si"}, format="json")
    assert r.status_code == 400
    assert "use its UUID" in " ".join(r.json()["material"])
    r = api.post("/api/v1/lots/", {**body, "material": str(mine.pk)}, format="json")
    assert r.status_code == 201, r.json()
    assert m.MaterialLot.objects.get(label="Si-L1").material == mine
    # the web: a message and the search for the label, where each one is a link by UUID
    r = client_demo.get("/materials/Secret-Si/", follow=True)
    assert r.redirect_chain[-1][0] == "/search/?q=Secret-Si"
    page = r.content.decode()
    assert "names a material in 2 of your projects" in page and "use its UUID" in page
    assert str(mine.pk) in page and str(theirs.pk) in page
    assert client_demo.get(f"/materials/{theirs.pk}/").status_code == 200
