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
