"""analysis.runtime: the malloc setting workers and the CLI apply."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from analysis.runtime import keep_freed_memory


@pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_glibc_takes_the_settings_in_a_fresh_process() -> None:
    # In a child process, so that the test run's own allocator is left as it was.
    code = "from analysis.runtime import keep_freed_memory; print(keep_freed_memory())"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "True"


def test_not_linux_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert keep_freed_memory() is False


def test_numpy_stops_advising_huge_pages_in_a_fresh_process() -> None:
    # numpy's own switch answers its previous state: off after small_pages_for_arrays().
    code = (
        "from analysis.runtime import small_pages_for_arrays; import numpy as np; "
        "took = small_pages_for_arrays(); "
        "print(took, np._core.multiarray._set_madvise_hugepage(False))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["True", "False"]


def test_the_command_line_keeps_its_imports_out_of_the_garbage_collector() -> None:
    # python -m analysis's path (main(freeze_imports=True)) in a child process: pandas and the
    # command's modules end up frozen, and the collector is back on for the command itself.
    code = (
        "import gc, sys; from analysis.__main__ import main\n"
        "try:\n    main(['cycling', '--help'], freeze_imports=True)\n"
        "except SystemExit:\n    pass\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 50_000, 'pandas' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split()[-3:] == ["True", "True", "True"]
