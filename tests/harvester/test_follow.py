"""The harvester's pieces for following growing files, without a server: where an upload of a
growing file ends, the sha256 of what was sent and of what is there now, and the config file
that maps folders and file names to test runs."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from harvester.config import Watch, load_config
from harvester.follow import Digests, line_cut


def h(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_growing_file_is_cut_after_its_last_complete_line(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"t,v\n1,2\n3,4")
    assert line_cut(path, path.stat().st_size) == len(b"t,v\n1,2\n")
    path.write_bytes(b"no newline yet")
    assert line_cut(path, path.stat().st_size) == 0


def test_digests_of_the_sent_prefix_and_the_whole_follow_appends_and_see_rewrites(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.csv"
    first = b"header\n" + b"".join(b"%d,1.0\n" % i for i in range(3000))
    path.write_bytes(first)
    digests = Digests()
    assert digests.of(path, 0, len(first)) == (None, h(first))
    more = b"".join(b"%d,2.0\n" % i for i in range(100))
    with path.open("ab") as fh:
        fh.write(more)
    grown = first + more
    assert digests.of(path, len(first), len(grown)) == (h(first), h(grown))
    # rewritten just before the old end (same file, same size and more): seen, not trusted
    changed = grown[: len(first) - 10] + b"9" + grown[len(first) - 9 :]
    with path.open("r+b") as fh:
        fh.write(changed)
    prefix, whole = digests.of(path, len(grown), len(changed))
    assert prefix == h(changed) != h(grown) and whole == h(changed)
    # a fresh instance (the harvester restarted) reads from the start and agrees
    assert Digests().of(path, len(first), len(changed)) == (h(changed[: len(first)]), h(changed))


def test_a_config_file_maps_folders_and_file_names_to_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAB_KEY", "secret")
    config = tmp_path / "harvester.json"
    config.write_text(
        json.dumps(
            {
                "url": "http://labdb.local",
                "token_env": "LAB_KEY",
                "follow_seconds": 60,
                "watch": [
                    {"folder": str(tmp_path / "bcs"), "pattern": "*.mpt", "run": "RUN-A"},
                    {
                        "folder": str(tmp_path / "neware"),
                        "runs": {"ch03_*": "RUN-B"},
                        "run_from_filename": "^(?P<run>RUN-[0-9]+)_",
                    },
                ],
            }
        )
    )
    options, watches = load_config(config)
    assert options == {"url": "http://labdb.local", "follow_seconds": 60.0, "token": "secret"}
    assert watches[0].run_fields(Path("anything.mpt")) == {"label": "RUN-A"}
    assert watches[1].run_fields(Path("ch03_RUN-9_x.csv")) == {"label": "RUN-B"}
    assert watches[1].run_fields(Path("RUN-9_x.csv")) == {"label": "RUN-9"}
    assert watches[1].run_fields(Path("other.csv")) is None
    config.write_text(json.dumps({"watch": [{"folder": "x"}]}))
    with pytest.raises(SystemExit, match=r"watch\[0\]: give 'run', 'runs' or 'run_from_filename'"):
        load_config(config)


def test_the_regex_gives_cell_and_protocol_for_runs_created_on_the_fly() -> None:
    watch = Watch(
        folder=Path("."),
        run_regex=re.compile(r"^(?P<cell>[^_]+)_(?P<protocol>[^_]+)_(?P<run>[^.]+)"),
    )
    assert watch.run_fields(Path("C1_PS-1mA_R7.csv")) == {
        "label": "R7",
        "cell": "C1",
        "protocol": "PS-1mA",
    }
