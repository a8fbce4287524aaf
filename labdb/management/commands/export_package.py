"""``python manage.py export_package (--saved NAME | --cells LABEL ... | filters) -o FILE.zip``:
write the publishable data package of a saved comparison or a selection of cells: an RO-Crate
ZIP with the raw files and analyses, BDF tables, figures (SVG, PDF), the study report (HTML,
PDF) and DataCite metadata (see :mod:`labdb.reports.package`).

It goes through the same export job as the button (:mod:`labdb.services.exports`): the same
selection, data and code give the same job and the same stored file, which is copied to
``FILE.zip``; the command builds it in its own process unless a worker already is (then it
waits for it)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from labdb import models as m
from labdb.reports.datacite import LICENSES
from labdb.reports.selection import StudySelection, from_query, from_saved
from labdb.selectors.results import GROUPINGS
from labdb.services.exports import export_request, export_run
from labdb.storage import copy_blob_to


def _saved(key: str) -> m.SavedComparison:
    try:
        q = Q(pk=uuid.UUID(key))
    except ValueError:
        q = Q(name=key)
    found = list(m.SavedComparison.objects.filter(q)[:2])
    if len(found) != 1:
        what = "no" if not found else "more than one (name its UUID)"
        raise CommandError(f"{what} saved comparison {key!r}")
    return found[0]


def _user(username: str, project: m.Project | None) -> Any:
    """The named user, else a manager (or a member) of the project the export covers."""
    users = get_user_model().objects
    if username:
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        return user
    members = m.Membership.objects.select_related("user").order_by("role", "pk")
    if project is not None:
        members = members.filter(project=project)
    elif m.Project.objects.count() != 1:
        raise CommandError("several projects: name a --user whose cells to export")
    member = members.first()
    if member is None:
        raise CommandError("the project has no members: name a --user")
    return member.user


class Command(BaseCommand):
    help = (
        "Write the data package (an RO-Crate ZIP with raw data, analyses, BDF tables, figures, "
        "the study report and DataCite metadata) of a saved comparison or of chosen cells."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--saved", default="", help="name or UUID of a saved comparison")
        parser.add_argument("--cells", nargs="+", default=[], help="cell labels")
        parser.add_argument("--kind", default="", help="half or full (with no --cells: all)")
        parser.add_argument("--seed", default="", help="seed set, e.g. Ag+Mg+Sn")
        parser.add_argument("--binder", default="", help="binder, e.g. Elastane")
        parser.add_argument(
            "--group", default="", choices=["", *GROUPINGS], help=f"one of {', '.join(GROUPINGS)}"
        )
        parser.add_argument(
            "--conforming",
            action="store_true",
            help="leave out the cells whose runs deviate from their protocols (named in the report)",
        )
        parser.add_argument(
            "--user",
            default="",
            help="export as this user (default: a manager, else a member, of the project)",
        )
        parser.add_argument("--publisher", default="", help="DataCite publisher (default: project)")
        parser.add_argument("--license", default="CC-BY-4.0", choices=sorted(LICENSES))
        parser.add_argument("--related-doi", default="", help="DOI of the article it supplements")
        parser.add_argument("-o", "--output", required=True, help="the .zip file to write")
        parser.add_argument(
            "--wait-s",
            type=float,
            default=3600.0,
            help="how long to wait for a worker that is building the same package",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["output"])
        if out.suffix != ".zip":
            raise CommandError(f"{out}: the output file should end in .zip")
        selection: StudySelection
        if options["saved"]:
            saved = _saved(options["saved"])
            user = _user(options["user"], saved.project)
            selection = from_saved(user, saved, options["group"], conforming=options["conforming"])
        else:
            first = m.Cell.objects.filter(label__in=options["cells"]).first()
            user = _user(options["user"], first.project if first else None)
            query = {k: options[k] for k in ("kind", "seed", "binder", "group")}
            query["conforming"] = "1" if options["conforming"] else ""
            selection = from_query(user, {**query, "cells": options["cells"]})
            missing = set(options["cells"]) - {c.label for c in selection.cells}
            missing -= set(selection.left_out or {})
            if missing:
                raise CommandError(f"no cell {', '.join(sorted(missing))} visible to {user}")
        if not selection.cells:
            raise CommandError("no cells to export")
        try:
            job, created = export_request(
                kind=m.ExportJob.Kind.PACKAGE,
                selection=selection,
                user=user,
                parameters={
                    "publisher": options["publisher"],
                    "license": options["license"],
                    "related_doi": options["related_doi"],
                },
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        export_run(str(job.pk))  # nothing to do if it is built, or a worker is building it
        deadline = time.monotonic() + options["wait_s"]
        job.refresh_from_db()
        while not job.is_finished and time.monotonic() < deadline:
            time.sleep(1.0)
            job.refresh_from_db()
        if job.status != m.ExportJob.Status.SUCCEEDED:
            raise CommandError(
                f"export {job.pk} {job.status}" + (f": {job.error}" if job.error else "")
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        copy_blob_to(job.result_sha256, out)
        self.stdout.write(
            f"wrote {out} ({out.stat().st_size} bytes): {len(selection.cells)} cells of "
            f"{selection.name}; export {job.pk}"
            + ("" if created else " (the same package as asked for before)")
        )
