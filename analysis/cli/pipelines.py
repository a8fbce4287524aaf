"""``python -m analysis pipelines [--json]``: the analysis kinds, the data each accepts and
every parameter with its unit, default and meaning."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from analysis.cli._common import emit_json

if TYPE_CHECKING:
    from analysis.cli._common import SubParsers


def register(sub: SubParsers) -> None:
    p = sub.add_parser("pipelines", help="list the analyses and their parameters")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from analysis.pipelines import PIPELINES

    described = [p.describe() for p in PIPELINES.values()]
    if args.json:
        emit_json(described)
        return 0
    for d in described:
        print(f"{d['kind']} (reads {', '.join(d['accepts'])} data): {d['doc']}")
        for spec in d["parameters"]:
            unit = f" [{spec['unit']}]" if spec["unit"] else ""
            default = "required" if spec["required"] else f"default {spec['default']}"
            print(f"  {spec['name']}{unit}: {spec['doc']} ({default})")
    return 0
