"""Fixtures for the EIS tests: spectra from the shared conformance data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from analysis.readers import read


def load_spectrum(path: Path) -> tuple[np.ndarray, np.ndarray]:
    table = read(path).table
    f = table["frequency_hz"].to_numpy()
    z = table["z_real_ohm"].to_numpy() + 1j * table["z_imag_ohm"].to_numpy()
    return f, z


@pytest.fixture(scope="session")
def spectrum_of() -> Callable[[Path], tuple[np.ndarray, np.ndarray]]:
    """``load(path) -> (frequency_hz, impedance)`` for a single-spectrum file."""
    return load_spectrum


@pytest.fixture(scope="session")
def eis_dir(conformance_data: Path) -> Path:
    return conformance_data / "eis"


@pytest.fixture(scope="session")
def example_below_x(eis_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """impedance.py's exampleData.csv with only Im Z < 0 points (its ``ignoreBelowX``)."""
    f, z = load_spectrum(eis_dir / "ECSHackWeek+impedance.py/data/exampleData.csv")
    keep = z.imag < 0
    return f[keep], z[keep]
