"""The crate of a project or of records, and its ``.eln`` archive: a zip with one top folder
holding ``ro-crate-metadata.json`` and the files."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.utils import timezone
from rocrate.model.contextentity import ContextEntity
from rocrate.model.entity import Entity
from rocrate.rocrate import ROCrate

from labdb import models as m
from labdb.exports.crate.actions import _ProcessRunActions
from labdb.exports.crate.catalog import _CatalogEntities
from labdb.exports.crate.data import _DataEntities
from labdb.exports.crate.terms import PROCESS_RUN_CRATE, SHA256_TERM, _clean, safe_name, uri
from labdb.exports.prov import SEGMENT
from labdb.exports.records import collect


class _CrateBuilder(_CatalogEntities, _DataEntities, _ProcessRunActions):
    def build(self) -> None:
        rs = self.records
        self.catalog()
        raw: dict[Any, Entity] = {df.pk: self.data_file(df) for df in rs.of(m.DataFile)}
        tables = {t.pk: self.parsed_table(t) for t in rs.of(m.ParsedTable)}
        results = {r.pk: self.result_file(r) for r in rs.of(m.AnalysisResult)}
        for r in rs.of(m.TestRun):
            self.test_run(r, [raw[f.pk] for f in rs.of(m.DataFile) if f.test_run_id == r.pk])
        for job in rs.of(m.AnalysisJob):
            inputs = [raw[job.data_file_id]] if job.data_file_id in raw else []
            if job.parsed_table_id in tables:
                inputs.append(tables[job.parsed_table_id])
            self.analysis(job, inputs, results.get(job.pk))


def build_crate(target: Model | m.Project | Iterable[Model]) -> ROCrate:
    """The RO-Crate (in memory) of a project, a record (a cell covers its upstream, test runs and
    results) or several records; see :mod:`labdb.exports.crate` for its content."""
    if isinstance(target, (Model, m.Project)):
        targets: list[Any] = [target]
    else:
        targets = list(target)
    if not targets:
        raise ValueError("nothing to export")
    records = collect(targets[0])
    for extra in targets[1:]:
        records.records.update(collect(extra).records)

    crate = ROCrate()
    crate.metadata.extra_terms["sha256"] = SHA256_TERM
    first = targets[0]
    if isinstance(first, m.Project):
        name, description = first.name, first.description or f"labdb project {first.label}"
        about = {"@id": uri(first)}
        crate.add(
            ContextEntity(
                crate,
                uri(first),
                properties=_clean(
                    {"@type": "Project", "name": first.name, "identifier": first.label}
                ),
            )
        )
    else:
        labels = ", ".join(str(t) for t in targets)
        name = f"labdb export: {labels}"
        description = f"{labels} with its materials, processing, test runs, raw data and analyses"
        about = [{"@id": uri(t)} for t in targets if type(t) in SEGMENT]
    crate.add(
        ContextEntity(
            crate,
            PROCESS_RUN_CRATE,
            properties={"@type": "CreativeWork", "name": "Process Run Crate", "version": "0.5"},
        )
    )
    root = crate.root_dataset
    root["name"] = name
    root["description"] = description
    root["datePublished"] = timezone.now().isoformat()
    root["conformsTo"] = {"@id": PROCESS_RUN_CRATE}
    root["about"] = about
    _CrateBuilder(crate, records).build()
    return crate


def write_crate(
    records_or_project: Model | m.Project | Iterable[Model], out_path: Path | str
) -> Path:
    """Write the ``.eln`` archive of a project, a record or several records to ``out_path``.

    The zip holds one top folder (named after ``out_path``'s stem) with
    ``ro-crate-metadata.json`` and the files; see :mod:`labdb.exports.crate` for the content.
    """
    out = Path(out_path)
    crate = build_crate(records_or_project)
    top = safe_name(out.stem) or "labdb-export"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / top
        crate.write(folder)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zf.write(path, f"{top}/{path.relative_to(folder).as_posix()}")
        shutil.move(partial, out)
    return out


class CrateDownload:
    """An ``.eln`` archive written to a temporary folder under the data directory's ``tmp/``,
    read as a file object; closing it (the response does when the download ends) removes the
    folder. A process killed mid-download leaves the folder, which the staging sweep removes
    (:mod:`labdb.services.staging`)."""

    def __init__(self, records_or_project: Model | m.Project | Iterable[Model], filename: str):
        staging = Path(settings.DATA_DIR) / "tmp"
        staging.mkdir(parents=True, exist_ok=True)
        self._dir = Path(tempfile.mkdtemp(prefix="crate-", dir=staging))
        try:
            self.path = write_crate(records_or_project, self._dir / filename)
            self._f = self.path.open("rb")
        except BaseException:
            shutil.rmtree(self._dir, ignore_errors=True)
            raise

    def read(self, *args: Any) -> bytes:
        return self._f.read(*args)

    def close(self) -> None:
        self._f.close()
        shutil.rmtree(self._dir, ignore_errors=True)
