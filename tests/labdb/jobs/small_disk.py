"""A small filesystem of its own for disk-full and read-only tests: a tmpfs mounted on a
temporary folder (needs root, as in CI; the tests that use it skip with the reason otherwise)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@contextlib.contextmanager
def small_disk(path: Path, size_kb: int) -> Iterator[SmallDisk]:
    path.mkdir(parents=True, exist_ok=True)
    done = _mount("-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(path))
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip()}); needs root")
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


class SmallDisk:
    def __init__(self, path: Path) -> None:
        self.path = path

    def resize(self, size_kb: int) -> None:
        _mount("-o", f"remount,size={size_kb}k", str(self.path)).check_returncode()

    def read_only(self, on: bool = True) -> None:
        _mount("-o", "remount," + ("ro" if on else "rw"), str(self.path)).check_returncode()

    def fill(self) -> Path:
        """Fill what is left with one file; returns it (delete it to free the space)."""
        filler = self.path / "filler"
        with contextlib.suppress(OSError), filler.open("wb") as fh:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        return filler
