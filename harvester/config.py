"""What the harvester watches and where each file goes: :class:`Watch`, and the JSON config
file that lists several of them (``python -m harvester --config harvester.json``).

A config file (JSON, so that nothing needs installing)::

    {
      "url": "https://labdb.example.org",
      "token_env": "LABDB_TOKEN",
      "state": "C:/labdb/harvester-state.json",
      "stable_seconds": 30,
      "follow_seconds": 300,
      "interval": 10,
      "watch": [
        {"folder": "D:/EC-Lab/MgAgSn", "pattern": "*.mpt", "run": "MgAgSn-E-HC1-PS"},
        {"folder": "D:/Neware", "pattern": "*.csv", "recursive": true,
         "runs": {"ch03_*": "SN-RUN-7", "ch04_*": "SN-RUN-8"}},
        {"folder": "D:/Arbin", "pattern": "*.csv",
         "run_from_filename": "^(?P<run>[^_]+)_", "create_runs": false}
      ]
    }

Per watch, the run of a file is the first of: ``runs`` (file-name pattern -> run label, first
match), ``run_from_filename`` (regex; group ``run`` or the first group), ``run`` (every file of
the folder). A file that none of them names is logged and left alone. Top-level keys are the
command-line options (``url``, ``token`` or ``token_env``, ``state``, ``stable_seconds``,
``follow_seconds``, ``interval``, ``backoff_base``, ``backoff_max``, ``timeout``); the command
line wins over the file.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Watch:
    """One folder, the files in it to take, and the test run each goes to."""

    folder: Path
    pattern: str = "*"
    run_regex: re.Pattern[str] | None = None
    run: str | None = None
    runs: dict[str, str] = field(default_factory=dict)
    recursive: bool = False
    format: str = ""
    create_runs: bool = False

    def files(self, skip: Path) -> list[Path]:
        found = self.folder.glob("**/*" if self.recursive else "*")
        return [
            p
            for p in sorted(found)
            if fnmatch.fnmatch(p.name, self.pattern) and p.resolve() != skip and p.is_file()
        ]

    def run_fields(self, path: Path) -> dict[str, str] | None:
        """The run label (and, from the regex, cell/protocol/channel/instrument) of ``path``."""
        for pattern, label in self.runs.items():
            if fnmatch.fnmatch(path.name, pattern):
                return {"label": label}
        if self.run_regex is not None:
            match = self.run_regex.search(path.name)
            if match is not None:
                groups = match.groupdict()
                run = groups.get("run") or (match.group(1) if match.groups() else None)
                if run:
                    fields = {"label": run}
                    for key in ("cell", "protocol", "channel", "instrument"):
                        if groups.get(key):
                            fields[key] = groups[key]
                    return fields
        if self.run:
            return {"label": self.run}
        return None


OPTION_KEYS = {
    "url": str,
    "token": str,
    "stable_seconds": float,
    "follow_seconds": float,
    "interval": float,
    "backoff_base": float,
    "backoff_max": float,
    "timeout": float,
}


def load_config(path: Path) -> tuple[dict[str, Any], list[Watch]]:
    """The options and watches of a config file; ``SystemExit`` naming the problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"cannot read the config file {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("watch"), list) or not data["watch"]:
        raise SystemExit(f"{path}: expected an object with a non-empty list 'watch'")
    options: dict[str, Any] = {}
    for key, kind in OPTION_KEYS.items():
        if data.get(key) is not None:
            try:
                options[key] = kind(data[key])
            except (TypeError, ValueError) as exc:
                raise SystemExit(f"{path}: {key}: {exc}") from exc
    if data.get("token_env") and "token" not in options:
        options["token"] = os.environ.get(str(data["token_env"]), "")
    if data.get("state"):
        options["state_path"] = Path(data["state"])
    watches = []
    for i, entry in enumerate(data["watch"]):
        where = f"{path}: watch[{i}]"
        if not isinstance(entry, dict) or not entry.get("folder"):
            raise SystemExit(f"{where}: expected an object with 'folder'")
        try:
            regex = (
                re.compile(entry["run_from_filename"]) if entry.get("run_from_filename") else None
            )
        except re.error as exc:
            raise SystemExit(f"{where}: run_from_filename: {exc}") from exc
        runs = entry.get("runs") or {}
        if not isinstance(runs, dict):
            raise SystemExit(f"{where}: runs: expected an object of pattern -> run label")
        if not (regex or entry.get("run") or runs):
            raise SystemExit(f"{where}: give 'run', 'runs' or 'run_from_filename'")
        watches.append(
            Watch(
                folder=Path(entry["folder"]),
                pattern=str(entry.get("pattern", "*")),
                run_regex=regex,
                run=entry.get("run"),
                runs={str(k): str(v) for k, v in runs.items()},
                recursive=bool(entry.get("recursive", False)),
                format=str(entry.get("format", "")),
                create_runs=bool(entry.get("create_runs", False)),
            )
        )
    return options, watches
