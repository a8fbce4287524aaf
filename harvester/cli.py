"""The harvester's command line: ``python -m harvester --help``."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path

from harvester.config import Watch, load_config
from harvester.core import Harvester, Options

log = logging.getLogger("labdb.harvester")

DESCRIPTION = "labdb folder harvester: uploads instrument files from a lab PC to labdb."

DEFAULTS: dict[str, object] = {
    "stable_seconds": 10.0,
    "interval": 5.0,
    "backoff_base": 1.0,
    "backoff_max": 60.0,
    "timeout": 120.0,
}


def parse_args(argv: list[str] | None = None) -> tuple[Options, argparse.Namespace]:
    p = argparse.ArgumentParser(description=DESCRIPTION)
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help="JSON config file: several folders and their runs (see harvester/config.py)",
    )
    p.add_argument("--url", default=None, help="labdb base URL, e.g. https://labdb.example.org")
    p.add_argument(
        "--token",
        default=os.environ.get("LABDB_TOKEN"),
        help="API key with upload scope (or LABDB_TOKEN)",
    )
    p.add_argument("--watch", type=Path, default=None, help="folder to watch")
    p.add_argument("--pattern", default="*", help="file name pattern, e.g. '*.mpr'")
    p.add_argument(
        "--test-run-from-filename",
        default=None,
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
        default=None,
        help="a file is complete when unchanged this long (default 10)",
    )
    p.add_argument(
        "--follow-seconds",
        type=float,
        default=None,
        help="follow growing files: upload the lines appended so far at most this often "
        "(default: only once a file is stable)",
    )
    p.add_argument("--interval", type=float, default=None, help="seconds between scans (5)")
    p.add_argument("--recursive", action="store_true", help="watch sub-folders too")
    p.add_argument("--format", default="", help="reader name, if the server cannot detect it")
    p.add_argument("--backoff-base", type=float, default=None)
    p.add_argument("--backoff-max", type=float, default=None)
    p.add_argument(
        "--max-retries",
        type=int,
        default=None,
        help="per file and pass (default: unlimited; 8 with --once)",
    )
    p.add_argument("--timeout", type=float, default=None, help="socket timeout in s (120)")
    p.add_argument(
        "--once",
        action="store_true",
        help="upload what is complete and exit (waits for growing files up to --once-wait seconds)",
    )
    p.add_argument("--once-wait", type=float, default=None)
    p.add_argument("--log-file", type=Path, default=None)
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args(argv)
    from_file: dict[str, object] = {}
    watches: list[Watch] = []
    if a.config:
        from_file, watches = load_config(a.config)
    elif a.watch is None or a.test_run_from_filename is None:
        p.error("give --watch and --test-run-from-filename, or --config")
    given = {
        "url": a.url,
        "token": a.token,
        "state_path": a.state,
        "stable_seconds": a.stable_seconds,
        "follow_seconds": a.follow_seconds,
        "interval": a.interval,
        "backoff_base": a.backoff_base,
        "backoff_max": a.backoff_max,
        "timeout": a.timeout,
    }
    settings = {**DEFAULTS, **from_file, **{k: v for k, v in given.items() if v is not None}}
    if not settings.get("url"):
        p.error("--url (or url in the config file) is required")
    if not settings.get("token"):
        p.error("--token (or LABDB_TOKEN, or token / token_env in the config file) is required")
    if not watches:
        if not a.watch.is_dir():
            p.error(f"--watch {a.watch}: not a folder")
        try:
            regex = re.compile(a.test_run_from_filename)
        except re.error as exc:
            p.error(f"--test-run-from-filename: {exc}")
        watches = [
            Watch(
                folder=a.watch,
                pattern=a.pattern,
                run_regex=regex,
                recursive=a.recursive,
                format=a.format,
                create_runs=a.create_runs,
            )
        ]
    for watch in watches:
        if not watch.folder.is_dir():
            log.warning("%s: not a folder (yet); it is watched when it appears", watch.folder)
    options = Options(
        watches=watches,
        max_retries=a.max_retries if a.max_retries is not None else (8 if a.once else None),
        **settings,
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
