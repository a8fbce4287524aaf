"""What to say when no reader recognises a file: the closest readers, the columns each expects
against the columns found, and the column mapping that reads the file with the generic reader.

The expected columns are the header names each vendor's export writes (as its reader's module
documents them); the found columns come from the file's likeliest header line (the line of the
first 60 with the most non-numeric cells). Matching ignores case, spaces, punctuation and units
in brackets, and accepts near misses (``difflib``), so a renamed or re-cased column still points
at its reader.
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass

#: Reader -> the header names its format writes (the ones that identify it).
EXPECTED: dict[str, tuple[str, ...]] = {
    "arbin": ("Test_Time(s)", "Current(A)", "Voltage(V)", "Cycle_Index", "Step_Index"),
    "neware-csv": ("Total Time", "Current(A)", "Voltage(V)", "Step Type", "Cycle Index"),
    "maccor": ("Rec#", "Test (Sec)", "Amps", "Volts", "State", "Cyc#"),
    "landt": ("TestTime/s", "Current/mA", "Voltage/V", "Capacity/mAh", "Cycle"),
    "novonix": ("Run Time (h)", "Current (A)", "Potential (V)", "Cycle Number"),
    "biologic-mpt": ("time/s", "Ewe/V", "I/mA", "cycle number", "Ns"),
    "bdf": ("Test Time / s", "Voltage / V", "Current / A"),
    "batterydata-csv": ("Time_s", "Voltage_V", "Current_A", "Cycle_Index"),
    "battery-archive": ("Test_Time (s)", "Current (A)", "Voltage (V)", "Cycle_Index"),
    "beep-csv": ("test_time", "voltage", "current", "cycle_index", "charge_capacity"),
}

#: Canonical column -> patterns of the source names that usually hold it (first match wins).
GUESSES: dict[str, tuple[str, ...]] = {
    "test_time_second": (
        r"(test|total|run|elapsed|abs\w*).*(time|sec|min)",
        r"^time\b",
        r"time|sec",
    ),
    "voltage_volt": (r"volt", r"potential", r"^e(we|cell)?\b", r"^u\b"),
    "current_ampere": (r"curr", r"^amps?$|^amps?\W*\(", r"^i\b"),
    "cycle_count": (r"cyc",),
}
#: Names that hold something else (a date, a charge, an energy, a step's time).
_NOT = {
    "test_time_second": r"date|dpt|clock|stamp|step",
    "voltage_volt": r"dv|/dt|range",
    "current_ampere": r"hr|ah\b|cap|energy|range",
    "cycle_count": r"time",
}


@dataclass(frozen=True)
class Closest:
    reader: str
    expected: tuple[str, ...]
    matched: tuple[str, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c for c in self.expected if c not in self.matched)


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z#]", "", name.lower())


def _stem(name: str) -> str:
    return _key(re.sub(r"\(.*?\)|\[.*?\]|/.*$", "", name))


def header_cells(text: str) -> tuple[int, list[str]]:
    """(1-based line, cells) of the likeliest header line of ``text``; (0, []) if none."""
    best: tuple[int, int, list[str]] = (0, 0, [])
    for i, line in enumerate(text.splitlines()[:60]):
        delimiter = max(("\t", ";", ","), key=line.count)
        cells = [c.strip().strip('"').strip() for c in line.split(delimiter)]
        words = [c for c in cells if c and re.search(r"[A-Za-z]", c)]
        numbers = sum(bool(re.fullmatch(r"[-+0-9.,eE:]+", c)) for c in cells if c)
        if len(words) >= 3 and len(words) > numbers and len(words) > best[1]:
            best = (i + 1, len(words), [c for c in cells if c])
    return best[0], best[2]


def closest_readers(found: list[str], limit: int = 3) -> list[Closest]:
    """The ``limit`` readers whose expected columns best match ``found``."""
    keys = {_key(c) for c in found} | {_stem(c) for c in found}
    scored = []
    for reader, expected in EXPECTED.items():
        matched = tuple(
            c
            for c in expected
            if _key(c) in keys
            or _stem(c) in keys
            or difflib.get_close_matches(_key(c), list(keys), n=1, cutoff=0.8)
        )
        scored.append((len(matched) / len(expected), Closest(reader, expected, matched)))
    scored.sort(key=lambda s: -s[0])
    return [c for score, c in scored[:limit] if score > 0] or [c for _, c in scored[:limit]]


def guess_mapping(found: list[str]) -> dict[str, str]:
    """Canonical column -> the found column that likely holds it (required ones first)."""
    mapping: dict[str, str] = {}
    for canonical, patterns in GUESSES.items():
        for pattern in patterns:
            hit = next(
                (
                    c
                    for c in found
                    if re.search(pattern, c.lower())
                    and not re.search(_NOT[canonical], c.lower())
                    and c not in mapping.values()
                ),
                None,
            )
            if hit is not None:
                mapping[canonical] = hit
                break
    return mapping


def refusal(file_name: str, text: str) -> str:
    """The message of a file no reader recognises (see the module docstring)."""
    line, found = header_cells(text)
    lines = ["format not recognised from the content"]
    if not found:
        lines.append("no header line found in the first 60 lines (is this a text table?)")
        return "\n".join(lines)
    lines.append(f"columns found (line {line}): {', '.join(found)[:400]}")
    lines.append("closest readers:")
    for c in closest_readers(found):
        missing = f"; missing {', '.join(c.missing)}" if c.missing else ""
        lines.append(
            f"  {c.reader}: expects {', '.join(c.expected)} "
            f"({len(c.matched)} of {len(c.expected)} found{missing})"
        )
    mapping = guess_mapping(found)
    args = " ".join(f"--map {k}={shlex.quote(v)}" for k, v in mapping.items())
    needed = [k for k in ("test_time_second", "voltage_volt", "current_ampere") if k not in mapping]
    args += "".join(f" --map {k}=COLUMN" for k in needed)
    lines.append(
        "to read it with the generic CSV reader, map the columns (units are taken from the "
        "header, e.g. 'Current(mA)', or given with --unit current_ampere=mA; see "
        f"docs/readers.md): python -m analysis read {shlex.quote(file_name)} --format csv "
        f"{args} --out table.bdf.parquet"
    )
    return "\n".join(lines)
