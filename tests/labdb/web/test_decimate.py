"""Server-side decimation keeps what the eye needs: extremes, ends and the shape."""

from __future__ import annotations

import numpy as np

from labdb.web.decimate import lttb, minmax


def test_minmax_keeps_spikes_and_stays_within_budget() -> None:
    x = np.arange(200_000, dtype=float)
    y = np.sin(x / 1000.0)
    y[123_457] = 5.0
    y[7] = -4.0
    xd, yd = minmax(x, y, 2000)
    assert xd.size <= 2000 + 4
    assert yd.max() == 5.0 and yd.min() == -4.0
    assert xd[0] == 0 and xd[-1] == x[-1]
    assert np.all(np.diff(xd) > 0)


def test_lttb_keeps_ends_and_shape() -> None:
    x = np.arange(1000, dtype=float)
    y = np.where(x < 500, 99.6, 80.0)  # a step
    xd, yd = lttb(x, y, 100)
    assert xd.size == 100 and xd[0] == 0 and xd[-1] == 999
    assert {99.6, 80.0} <= set(yd.tolist())


def test_short_series_are_untouched() -> None:
    x = np.arange(10, dtype=float)
    assert minmax(x, x, 100)[0].size == 10
    assert lttb(x, x, 100)[0].size == 10
