"""Catalog labels are unique within a project instead of across all projects.

Data-safe: labels that were unique across projects are unique within each, so adding the
per-project constraints cannot fail and no row changes. The per-project constraint is added
before the global uniqueness is dropped, so no step leaves a table without one. The label
keeps an index of its own (lookups by label across the user's projects).

Reversing is refused, with the labels that block it, while two projects share a label (the
global uniqueness could not be restored); rename them first.
"""

from django.db import migrations, models

CATALOG = [
    "material",
    "materiallot",
    "formulation",
    "electrodebatch",
    "cell",
    "instrument",
    "testprotocol",
    "testrun",
]
HELP = "Human-readable name, unique in the project, e.g. printed on the sample."


def refuse_shared_labels(apps, schema_editor):  # type: ignore[no-untyped-def]
    shared = []
    for name in CATALOG:
        model = apps.get_model("labdb", name)
        rows = (
            model.objects.values("label")
            .annotate(projects=models.Count("project", distinct=True))
            .filter(projects__gt=1)
            .values_list("label", flat=True)
        )
        shared += [f"{name} {label!r}" for label in rows[:20]]
    if shared:
        raise RuntimeError(
            "cannot make labels unique across projects again: used in several projects: "
            + ", ".join(shared)
        )


class Migration(migrations.Migration):
    dependencies = [("labdb", "0010_result_tables_and_stored_eis_curves")]

    operations = [
        *[
            migrations.AddConstraint(
                model_name=name,
                constraint=models.UniqueConstraint(
                    fields=("project", "label"), name=f"{name}_label_unique_in_project"
                ),
            )
            for name in CATALOG
        ],
        *[
            migrations.AlterField(
                model_name=name,
                name="label",
                field=models.CharField(db_index=True, help_text=HELP, max_length=120),
            )
            for name in CATALOG
        ],
        # Last, so that on the way back it runs first, before anything is undone.
        migrations.RunPython(migrations.RunPython.noop, refuse_shared_labels),
    ]
