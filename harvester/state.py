"""The harvester's local JSON state file: what was uploaded and what is still being watched."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class State:
    """What the harvester knows, saved as JSON after every change."""

    path: Path
    uploaded: dict[str, dict[str, Any]] = field(default_factory=dict)
    observed: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> State:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as exc:
            raise SystemExit(f"cannot read the state file {path}: {exc}") from exc
        return cls(path, data.get("uploaded", {}), data.get("observed", {}))

    def save(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(
            json.dumps({"uploaded": self.uploaded, "observed": self.observed}, indent=1),
            encoding="utf-8",
        )
        os.replace(tmp, self.path)
