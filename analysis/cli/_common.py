"""Helpers shared by the command-line modules: every analysis command reads the file, runs the
pipeline of its kind (:mod:`analysis.pipelines`, the same code a labdb job runs) and prints
the pipeline's JSON (``--json``) or a short text summary."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from analysis.readers import ParseError, ReadResult, read
from analysis.serial import jsonable

if TYPE_CHECKING:
    from analysis.pipelines import Result

    SubParsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def emit_json(payload: Any, *, ready: bool = False) -> None:
    """Print ``payload`` as JSON (NaN and infinities become null): indented on a terminal,
    compact into a pipe or file. ``json.dumps``, not ``json.dump``: only the one-shot encoding of
    a compact text uses the standard library's C encoder (``json.dump`` runs the Python one,
    4x slower on a 1 MB result). ``ready``: the payload is JSON-ready already (a pipeline
    result's ``to_json()``), so it is not walked value by value again."""
    indent = 2 if sys.stdout.isatty() else None
    data = payload if ready else jsonable(payload)
    sys.stdout.write(json.dumps(data, indent=indent, allow_nan=False))
    sys.stdout.write("\n")


def fail(exc: ParseError | ValueError) -> int:
    """Report an input error on stderr and return the exit status for it."""
    print(f"error: {exc}", file=sys.stderr)
    return 2


def add_pipeline_parser(sub: SubParsers, name: str, help_text: str) -> argparse.ArgumentParser:
    """A subcommand with the arguments every analysis command takes."""
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("file", type=Path)
    p.add_argument("--format", help="reader name; detected from the content when omitted")
    p.add_argument("--json", action="store_true", help="print the pipeline's JSON result")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any pipeline parameter (VALUE as JSON, else text); "
        "`python -m analysis pipelines` lists them",
    )
    return p


def given(args: argparse.Namespace, **names: str) -> dict[str, Any]:
    """Pipeline parameters from the options the user gave (option attribute -> parameter
    name); options left out are left to the pipeline's defaults."""
    out: dict[str, Any] = {}
    for attr, key in names.items():
        value = getattr(args, attr, None)
        if value is not None:
            out[key] = list(value) if isinstance(value, list | tuple) else value
    return out


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs as parameters; VALUE is JSON where it parses, else text."""
    out: dict[str, Any] = {}
    for pair in pairs:
        name, eq, text = pair.partition("=")
        if not eq or not name:
            raise ValueError(f"--param: expected NAME=VALUE, found {pair!r}")
        try:
            out[name.strip()] = json.loads(text)
        except json.JSONDecodeError:
            out[name.strip()] = text
    return out


def run_pipeline(
    kind: str, args: argparse.Namespace, parameters: dict[str, Any]
) -> tuple[ReadResult, Result]:
    """Read ``args.file`` and run the ``kind`` pipeline with ``parameters`` (the command's own
    options) updated by ``--param``. Raises ParseError/ValueError for the caller to report."""
    from analysis import pipelines

    pipeline = pipelines.get(kind)
    params = pipeline.validate({**parameters, **parse_params(args.param)})
    read_result = read(args.file, format=args.format)
    source = read_result.part(pipeline.accepts)  # a mixed file: the table of this kind
    if source is None:
        raise ParseError(
            f"the file holds {' and '.join(read_result.kinds)} data (read as {read_result.format})",
            file=args.file,
            expected=" or ".join(f"{k} data" for k in sorted(pipeline.accepts)),
            found=read_result.kind,
        )
    return source, pipeline.run(source.table, params)


def finish(args: argparse.Namespace, source: ReadResult, result: Result, lines: list[str]) -> int:
    """Print the result: the pipeline's JSON with ``--json``, else ``lines`` and warnings."""
    if args.json:
        emit_json(result.to_json(), ready=True)
        return 0
    print(f"{source.source_name} ({source.format}, {len(source.table)} rows)")
    for line in lines:
        print(f"  {line}")
    for w in (*source.warnings, *result.warnings):
        print(f"warning: {w}")
    return 0
