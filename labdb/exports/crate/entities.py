"""The base of the crate builder: it adds contextual entities (with ``PropertyValue`` and
``Person`` helpers) and data entities (files from the blob store or from bytes, each with its
``sha256`` and ``contentSize``) to an :class:`~rocrate.rocrate.ROCrate`, at unique paths."""

from __future__ import annotations

import hashlib
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

from django.db.models import Model
from rocrate.model.contextentity import ContextEntity
from rocrate.model.entity import Entity
from rocrate.rocrate import ROCrate

from labdb.exports.crate.terms import _clean, uri
from labdb.exports.records import RecordSet
from labdb.storage import copy_blob_to, local_blob_path, open_blob


class _EntityBuilder:
    def __init__(self, crate: ROCrate, records: RecordSet) -> None:
        self.crate = crate
        self.records = records
        self.paths: set[str] = set()
        self.persons: dict[int, Entity] = {}

    def ref(self, obj: Model) -> dict[str, str]:
        return {"@id": uri(obj)}

    def add(self, ident: str, props: dict[str, Any]) -> Entity:
        return self.crate.add(ContextEntity(self.crate, ident, properties=_clean(props)))

    def prop(
        self, owner: str, key: str, name: str, value: Any, unit: str = "", pid: str = ""
    ) -> Entity:
        return self.add(
            f"{owner}#{key}",
            {
                "@type": "PropertyValue",
                "name": name,
                "value": value,
                "unitText": unit,
                "propertyID": pid,
            },
        )

    def measured(
        self, owner: str, key: str, name: str, value: Any, unit: str = "", pid: str = ""
    ) -> Entity | None:
        """:meth:`prop` for a value that may not have been recorded: ``None`` when ``value`` is
        empty or zero, so that the entity is left out."""
        return self.prop(owner, key, name, value, unit, pid) if value else None

    def person(self, user: Any) -> dict[str, str] | None:
        if user is None:
            return None
        if user.pk not in self.persons:
            self.persons[user.pk] = self.add(
                f"#user-{user.pk}",
                {"@type": "Person", "name": user.get_full_name() or user.get_username()},
            )
        return {"@id": f"#user-{user.pk}"}

    def unique_path(self, path: str) -> str:
        candidate, n = path, 1
        while candidate in self.paths:
            stem, suffix = Path(path).stem, Path(path).suffix
            candidate = str(Path(path).with_name(f"{stem}-{n}{suffix}"))
            n += 1
        self.paths.add(candidate)
        return candidate

    def blob_file(self, sha256: str, dest: str, props: dict[str, Any]) -> Entity:
        path = local_blob_path(sha256)
        if path is not None:  # re-hashed: a damaged file is refused, never exported
            open_blob(sha256).close()
        else:  # an object store: a verified copy that lives as long as the crate
            copies = getattr(self.crate, "_labdb_blob_copies", None)
            if copies is None:
                copies = tempfile.TemporaryDirectory(prefix="crate-blobs-")
                self.crate._labdb_blob_copies = copies  # type: ignore[attr-defined]
            path = Path(copies.name) / sha256
            if not path.exists():
                copy_blob_to(sha256, path)
        return self.crate.add_file(
            source=str(path),
            dest_path=self.unique_path(dest),
            properties=_clean({"sha256": sha256, "contentSize": str(path.stat().st_size), **props}),
        )

    def bytes_file(self, data: bytes, dest: str, props: dict[str, Any]) -> Entity:
        return self.crate.add_file(
            source=BytesIO(data),
            dest_path=self.unique_path(dest),
            properties=_clean(
                {
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "contentSize": str(len(data)),
                    **props,
                }
            ),
        )
