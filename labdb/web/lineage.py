"""The lineage graph of a record, drawn as SVG on the server (no script needed): upstream
records to the left, the record in the middle, what depends on it to the right."""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import Any

from django.db.models import Model

from labdb import models as m
from labdb.selectors.lineage import Lineage, key_of, record_text
from labdb.web.entities import url_for

BOX_W, BOX_H, COL_W, ROW_H, PAD = 168, 26, 200, 34, 10
MAX_PER_COLUMN = 24

COLOURS = {
    "material": "#e8eef7",
    "materiallot": "#dbe9ff",
    "formulation": "#e4f4e4",
    "electrodebatch": "#d6efd6",
    "cell": "#fff0cc",
    "testrun": "#ffe3c2",
    "testprotocol": "#f0e6ff",
    "instrument": "#f0e6ff",
    "datafile": "#f2f2f2",
    "parsedtable": "#f2f2f2",
    "analysisjob": "#fde2e2",
    "analysisresult": "#fbd0d0",
}


def record_url(record: Model) -> str | None:
    """A page for any record of the lineage (data records open their test run's page)."""
    if isinstance(record, m.DataFile):
        return f"/test-runs/{record.test_run_id}/"
    if isinstance(record, m.ParsedTable | m.AnalysisJob):
        return f"/test-runs/{record.data_file.test_run_id}/"
    if isinstance(record, m.AnalysisResult):
        return f"/test-runs/{record.test_run_id}/"
    return url_for(record)


def lineage_svg(root: Model, up: Lineage, down: Lineage) -> str:
    columns: dict[int, list[tuple[tuple[str, Any], Model]]] = defaultdict(list)
    root_key = key_of(root)
    columns[0].append((root_key, root))
    for lin, sign in ((up, -1), (down, 1)):
        for key, (obj, depth) in lin.nodes.items():
            columns[sign * depth].append((key, obj))
    position: dict[tuple[str, Any], tuple[float, float]] = {}
    cols = sorted(columns)
    hidden: dict[int, int] = {}
    for ci, col in enumerate(cols):
        items = sorted(columns[col], key=lambda kv: (kv[0][0], record_text(kv[1])))
        if len(items) > MAX_PER_COLUMN:
            hidden[col] = len(items) - MAX_PER_COLUMN
            items = items[:MAX_PER_COLUMN]
        columns[col] = items
        for ri, (key, _) in enumerate(items):
            position[key] = (PAD + ci * COL_W, PAD + ri * ROW_H)
    height = PAD * 2 + max(len(v) for v in columns.values()) * ROW_H + (ROW_H if hidden else 0)
    width = PAD * 2 + len(cols) * COL_W
    out = [
        f'<svg class="lineage" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="group" aria-label="Lineage graph" xmlns="http://www.w3.org/2000/svg">'
    ]
    for lin in (up, down):
        for a, b in lin.edges:
            if a in position and b in position:
                (x1, y1), (x2, y2) = position[a], position[b]
                if x1 > x2:
                    (x1, y1), (x2, y2) = (x2, y2), (x1, y1)
                out.append(
                    f'<line x1="{x1 + BOX_W}" y1="{y1 + BOX_H / 2}" x2="{x2}" '
                    f'y2="{y2 + BOX_H / 2}" stroke="#8a94a6" stroke-width="1"/>'
                )
    for col in cols:
        for key, obj in columns[col]:
            x, y = position[key]
            text = escape(record_text(obj))
            short = text if len(text) <= 26 else text[:25] + "…"
            fill = "#ffd24d" if key == root_key else COLOURS.get(key[0], "#eee")
            box = (
                f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="4" fill="{fill}" '
                f'stroke="#5b6575"/><text x="{x + 6}" y="{y + 17}" font-size="11">{short}</text>'
                f"<title>{escape(str(obj._meta.verbose_name))}: {text}</title>"
            )
            url = record_url(obj)
            out.append(f'<a href="{escape(url)}">{box}</a>' if url and key != root_key else box)
        if col in hidden:
            x = PAD + cols.index(col) * COL_W
            y = PAD + MAX_PER_COLUMN * ROW_H
            out.append(f'<text x="{x}" y="{y + 17}" font-size="11">+{hidden[col]} more</text>')
    out.append("</svg>")
    return "".join(out)
