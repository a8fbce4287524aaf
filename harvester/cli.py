"""The harvester's command line: ``python -m harvester --help``."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path

from harvester.core import Harvester, Options

log = logging.getLogger("labdb.harvester")

DESCRIPTION = "labdb folder harvester: uploads instrument files from a lab PC to labdb."


def parse_args(argv: list[str] | None = None) -> tuple[Options, argparse.Namespace]:
    p = argparse.ArgumentParser(description=DESCRIPTION)
    p.add_argument("--url", required=True, help="labdb base URL, e.g. https://labdb.example.org")
    p.add_argument(
        "--token",
        default=os.environ.get("LABDB_TOKEN"),
        help="API key with upload scope (or LABDB_TOKEN)",
    )
    p.add_argument("--watch", required=True, type=Path, help="folder to watch")
    p.add_argument("--pattern", default="*", help="file name pattern, e.g. '*.mpr'")
    p.add_argument(
        "--test-run-from-filename",
        required=True,
        metavar="REGEX",
        help="regex on the file name; group 'run' (or the first) is the run label",
    )
    p.add_argument(
        "--create-runs",
        action="store_true",
        help="create missing runs from the groups 'cell' and 'protocol'",
    )
    p.add_argument(
        "--state",
        type=Path,
        default=None,
        help="state file (default: .labdb-harvester.json in the watched folder)",
    )
    p.add_argument(
        "--stable-seconds",
        type=float,
        default=10.0,
        help="a file is complete when unchanged this long",
    )
    p.add_argument("--interval", type=float, default=5.0, help="seconds between scans")
    p.add_argument("--recursive", action="store_true", help="watch sub-folders too")
    p.add_argument("--format", default="", help="reader name, if the server cannot detect it")
    p.add_argument("--backoff-base", type=float, default=1.0)
    p.add_argument("--backoff-max", type=float, default=60.0)
    p.add_argument(
        "--max-retries",
        type=int,
        default=None,
        help="per file and pass (default: unlimited; 8 with --once)",
    )
    p.add_argument("--timeout", type=float, default=120.0, help="socket timeout in seconds")
    p.add_argument(
        "--once",
        action="store_true",
        help="upload what is complete and exit (waits for growing files up to --once-wait seconds)",
    )
    p.add_argument("--once-wait", type=float, default=None)
    p.add_argument("--log-file", type=Path, default=None)
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args(argv)
    if not a.token:
        p.error("--token (or LABDB_TOKEN) is required")
    if not a.watch.is_dir():
        p.error(f"--watch {a.watch}: not a folder")
    try:
        regex = re.compile(a.test_run_from_filename)
    except re.error as exc:
        p.error(f"--test-run-from-filename: {exc}")
    options = Options(
        url=a.url,
        token=a.token,
        watch=a.watch,
        pattern=a.pattern,
        run_regex=regex,
        state_path=a.state or a.watch / ".labdb-harvester.json",
        stable_seconds=a.stable_seconds,
        interval=a.interval,
        create_runs=a.create_runs,
        recursive=a.recursive,
        format=a.format,
        backoff_base=a.backoff_base,
        backoff_max=a.backoff_max,
        max_retries=a.max_retries if a.max_retries is not None else (8 if a.once else None),
        timeout=a.timeout,
    )
    return options, a


def main(argv: list[str] | None = None) -> int:
    options, a = parse_args(argv)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if a.log_file:
        handlers.append(logging.FileHandler(a.log_file, encoding="utf-8"))
    logging.basicConfig(
        level=logging.DEBUG if a.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        handlers=handlers,
    )
    harvester = Harvester(options)
    if a.once:
        wait = a.once_wait if a.once_wait is not None else options.stable_seconds * 3 + 5
        harvester.run_once(wait)
        return 0
    try:
        harvester.run_forever()
    except KeyboardInterrupt:
        log.info("stopped")
    return 0
