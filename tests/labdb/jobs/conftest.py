"""Fixtures for the job lifecycle tests: a test run, files, and analyses made slow or greedy."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from analysis import pipelines
from labdb import models as m
from labdb.services.ingest import data_file_register
from tests.labdb.test_ingest_and_jobs import bdf_csv, run

__all__ = ["bdf_csv", "register", "run"]


@pytest.fixture
def blobs(settings: Any, tmp_path: Any) -> Any:
    settings.BLOB_DIR = tmp_path / "blobs"
    return settings.BLOB_DIR


@pytest.fixture
def held_in_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """New jobs stay queued (nothing is sent to a worker), so a test can drive them by hand."""
    monkeypatch.setattr("labdb.services.job_requests._enqueue", lambda job_id, **kw: None)


def register(run: m.TestRun, data: bytes, name: str = "cell.csv", **kw: Any) -> Any:
    return data_file_register(
        test_run=run, chunks=[data], original_name=name, user=None, source="cli", **kw
    )


def with_runner(
    monkeypatch: pytest.MonkeyPatch, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]
) -> None:
    """The cycling pipeline as the job sees it, its runner wrapped (a slow or greedy analysis:
    the job machinery around it is the real one)."""
    real = pipelines.get

    def get(kind: str) -> pipelines.Pipeline:
        pipe = real(kind)
        return dataclasses.replace(pipe, runner=wrap(pipe.runner))

    monkeypatch.setattr("labdb.services.jobs.pipelines.get", get)


def sleeping(seconds: float) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(runner: Callable[..., Any]) -> Callable[..., Any]:
        def slow(table: Any, params: Any, progress: Any) -> Any:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                time.sleep(0.05)
            return runner(table, params, progress)

        return slow

    return wrap


def greedy(n_bytes: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An analysis that holds ``n_bytes`` of memory (like a decompression bomb's output)."""

    def wrap(runner: Callable[..., Any]) -> Callable[..., Any]:
        def hungry(table: Any, params: Any, progress: Any) -> Any:
            block = np.ones(n_bytes // 8)
            return runner(table.assign(extra=float(block[-1])), params, progress)

        return hungry

    return wrap
