"""A record's history as people read it: one line per changed field with its old and new
value (a changed JSON field, such as a lot's properties or a protocol's parameters, one line
per key that changed), never a character diff; details of other entries (a file registered,
an analysis queued) as ``name: value``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from labdb.models import HistoryEntry


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str
    #: a detail of the entry, not a change (no old value to show)
    detail: bool = False


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) or "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def changes_of(entry: HistoryEntry) -> list[Change]:
    out: list[Change] = []
    for name, change in (entry.changes or {}).items():
        label = name.replace("_", " ")
        if isinstance(change, list) and len(change) == 2:
            old, new = change
            if isinstance(old, dict) or isinstance(new, dict):
                old, new = old or {}, new or {}
                for key in sorted(set(old) | set(new)):
                    if old.get(key) != new.get(key):
                        out.append(
                            Change(f"{label}: {key}", _text(old.get(key)), _text(new.get(key)))
                        )
                continue
            out.append(Change(label, _text(old), _text(new)))
        else:
            out.append(Change(label, "", _text(change), detail=True))
    return out


def history_rows(entries: Iterable[HistoryEntry]) -> list[tuple[HistoryEntry, list[Change]]]:
    """Each entry with its field-level changes (none listed for a creation or an import,
    whose every field is new)."""
    return [(h, [] if h.action in ("created", "imported") else changes_of(h)) for h in entries]
