"""dQ/dV of a growing file: what one version's dQ/dV can take from an earlier version's
(docs/live.md, "Incremental dQ/dV").

Every half-cycle's rows of the dQ/dV curves, the dV/dQ curves and the peaks are a function of
its own profile rows, its cycle number and kind, its position among the half-cycles and the
record just before it (:func:`analysis.cycling.dqdv.dqdv`: each half-cycle's voltage bins are
counted from its own lowest bin, a whole multiple of ``bin_V``, so a new half-cycle that
reaches a lower voltage no longer moves the others'; a dV/dQ grid point before a half-cycle's
first record interpolates from the record before it). So the leading half-cycles whose
inputs are unchanged keep the earlier version's rows, and only the half-cycles after them are
computed: the result is the full analysis's, value for value
(``tests/analysis/cycling/test_dqdv_incremental.py``).

"Unchanged" is decided by a fingerprint per half-cycle kept in the memo (the ``dqdv_memo``
series of the result): the first 60 bits of a sha256 over its label, cycle, kind and the bytes
of its capacities and voltages, with the parameters as the context (other parameters: nothing
reused). The leading half-cycles whose fingerprints equal the earlier memo's are reused, except
the last half-cycle, which is always computed (it is the one a running test is still
writing). The memo also keeps each half-cycle's voltage noise (the median over half-cycles is
a parameter of the result), how many rows it has in each output, so that the reused rows
are the first rows of the earlier outputs and a store can keep those as they are
(``shared_rows``), and the sha256 of its rows in each series (``sha256:dqdv``,
``sha256:dvdq``): the series' digests are composed of those (the grouped form,
:func:`analysis.pipelines.base.grouped_digest`), so a version hashes only the rows it
computed. The earlier series may be given unread (:class:`~analysis.pipelines.base.StoredSeries`):
the result then refers to their first rows (:class:`~analysis.pipelines.base.GrownSeries`)
instead of holding them.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.cycling.lookback import agreeing_prefix
from analysis.serial import same_floats
from analysis.series import GrownSeries, StoredSeries, group_digests, grouped_digest

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: the outputs, by their names in the pipeline's result, with their columns in order
OUTPUTS = {
    "dqdv": ("half_cycle", "cycle", "kind", "voltage_V", "dq_dv_mAh_per_V"),
    "dvdq": ("half_cycle", "cycle", "kind", "capacity_mAh", "voltage_V", "dv_dq_V_per_mAh"),
    "dqdv_peaks": (
        "half_cycle",
        "cycle",
        "kind",
        "voltage_V",
        "dq_dv_mAh_per_V",
        "prominence_mAh_per_V",
        "noise_mAh_per_V",
    ),
}
MEMO = "dqdv_memo"
#: the outputs that are series (row-level, digested per half-cycle); ``dqdv_peaks`` is a table
SERIES = ("dqdv", "dvdq")
#: the grouping column of the series' digests
GROUP = "half_cycle"


@dataclass(frozen=True)
class Inputs:
    """The finite profile records (``q`` mAh, ``v`` V) with each half-cycle's rows
    ``starts[k]:stops[k]``, its label, cycle and kind."""

    q: FloatArray
    v: FloatArray
    starts: IntArray
    stops: IntArray
    labels: IntArray
    cycle: npt.NDArray[Any]
    kind: npt.NDArray[Any]


@dataclass(frozen=True)
class Rows:
    """The output rows of half-cycles ``h`` to the last (arrays, row-major by half-cycle):
    ``curves``/``dvdq``/``peaks`` column arrays, the rows each half-cycle has in each, and
    each half-cycle's voltage noise (V)."""

    curves: dict[str, npt.NDArray[Any]]
    dvdq: dict[str, npt.NDArray[Any]]
    peaks: dict[str, npt.NDArray[Any]]
    counts: dict[str, npt.NDArray[np.int64]]
    noise_V: FloatArray


@dataclass(frozen=True)
class Assembled:
    """The outputs by name (``OUTPUTS``; a series continuing an unread earlier one is a
    :class:`GrownSeries`), the result's parameters, the memo, the first rows of each output
    that are the earlier output's (``shared_rows``) and the series' digest entries."""

    frames: dict[str, pd.DataFrame | GrownSeries]
    parameters: dict[str, Any]
    memo: pd.DataFrame
    shared_rows: dict[str, int]
    digests: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Previous:
    """The earlier version's dQ/dV outputs (``frames``: ``dqdv``, ``dvdq``, ``dqdv_peaks``;
    the series may be :class:`StoredSeries`, not read) and its memo (one row per
    half-cycle)."""

    memo: pd.DataFrame
    frames: dict[str, pd.DataFrame | StoredSeries]

    @classmethod
    def from_frames(cls, frames: dict[str, pd.DataFrame | StoredSeries] | None) -> Previous | None:
        """From the earlier result's series and tables by name; None when one is missing or
        the memo is of an earlier form (without the per-half-cycle digests)."""
        if not frames or any(name not in frames for name in (*OUTPUTS, MEMO)):
            return None
        memo = frames[MEMO]
        if not isinstance(memo, pd.DataFrame) or isinstance(frames["dqdv_peaks"], StoredSeries):
            return None
        wanted = ("fingerprint", *(f"sha256:{name}" for name in SERIES))
        if memo.empty or any(c not in memo.columns for c in wanted):
            return None
        return cls(memo, {name: frames[name] for name in OUTPUTS})


def _context(params: dict[str, Any]) -> int:
    text = json.dumps(params, sort_keys=True, default=str)
    return int(hashlib.sha256(text.encode()).hexdigest()[:15], 16)


#: the inputs and fingerprints of the last dQ/dV analyses in this process: a version's
#: half-cycles that are the same as an earlier version's take their fingerprints from there
#: (:func:`fingerprints`); at 1,600 cycles ~2 MB each
_kept: deque[tuple[Inputs, IntArray]] = deque(maxlen=2)


def fingerprints(inputs: Inputs) -> IntArray:
    """One 60-bit number per half-cycle: its label, cycle, kind, capacities and voltages.

    A half-cycle whose label, cycle, kind and rows (``starts``/``stops``) are those of a
    half-cycle of kept inputs (the earlier version's analysis in this process), and whose
    capacities and voltages up to its last row equal those inputs' bit for bit, takes that
    fingerprint: the same bytes hash to the same number. The others are hashed (~3 us each:
    a version of a 1,600-cycle test hashed 3,200 half-cycles and ~2 MB for its new ones)."""
    q, v = inputs.q, inputs.v
    out = np.empty(len(inputs.starts), dtype=np.int64)
    todo = np.ones(len(out), dtype=bool)
    for kept, prints in reversed(tuple(_kept)):  # a snapshot: another thread may append
        same = np.flatnonzero(_same_half_cycles(kept, inputs) & todo)
        out[same] = prints[same]
        todo[same] = False
    labels, cycle, kind = inputs.labels.tolist(), inputs.cycle.tolist(), inputs.kind.tolist()
    for k in np.flatnonzero(todo).tolist():
        a, b = int(inputs.starts[k]), int(inputs.stops[k])
        key = f"{labels[k]}|{cycle[k]!r}|{kind[k]!r}|"
        digest = hashlib.sha256(key.encode())
        digest.update(q[a:b].tobytes())
        digest.update(v[a:b].tobytes())
        out[k] = int(digest.hexdigest()[:15], 16)
    _kept.append((inputs, out))
    return out


def _same_half_cycles(kept: Inputs, inputs: Inputs) -> npt.NDArray[np.bool_]:
    """Per half-cycle of ``inputs``: whether ``kept`` has it at the same place with the same
    label, cycle, kind (compared as the fingerprint writes them), rows and values."""
    n = min(len(kept.starts), len(inputs.starts))
    same = np.zeros(len(inputs.starts), dtype=bool)
    if not n:
        return same
    equal_rows = agreeing_prefix((kept.q, kept.v), (inputs.q, inputs.v))  # bit for bit
    same[:n] = (
        (kept.starts[:n] == inputs.starts[:n])
        & (kept.stops[:n] == inputs.stops[:n])
        & (inputs.stops[:n] <= equal_rows)
        & _same_items(kept.labels[:n], inputs.labels[:n], str)
        & _same_items(kept.cycle[:n], inputs.cycle[:n], repr)
        & _same_items(kept.kind[:n], inputs.kind[:n], repr)
    )
    return same


def _same_items(
    a: npt.NDArray[Any], b: npt.NDArray[Any], text: Callable[[Any], str]
) -> npt.NDArray[np.bool_]:
    """Element by element: the same text as the fingerprint writes it (``text`` of each
    Python value; integers of the same numpy dtype compare as numbers, which is the same)."""
    if a.dtype == b.dtype and a.dtype.kind in "iu":
        return np.asarray(a == b, dtype=bool)
    if a.dtype == b.dtype and a.dtype.kind == "f":  # repr of each float: -0.0 is not 0.0
        return same_floats(a, b)
    x, y = a.astype(object), b.astype(object)
    out = np.zeros(len(x), dtype=bool)
    if not len(x):
        return out
    kinds = np.frompyfunc(type, 1, 1)
    both_text = (kinds(x) == str) & (kinds(y) == str)  # noqa: E721 (types compared as values)
    # two texts: the same text as the same str and repr; the rest (missing values, numbers
    # as objects, texts against others) value by value
    out[both_text] = x[both_text] == y[both_text]
    for k in np.flatnonzero(~both_text).tolist():
        out[k] = text(x[k]) == text(y[k])
    return out


def memo_of(inputs: Inputs, params: dict[str, Any]) -> pd.DataFrame:
    """The half-cycles' identity part of the memo (fingerprints, labels, context)."""
    return pd.DataFrame(
        {
            "half_cycle": inputs.labels,
            "fingerprint": fingerprints(inputs),
            "context": np.full(len(inputs.labels), _context(params), dtype=np.int64),
        }
    )


def unchanged(memo: pd.DataFrame, previous: Previous | None) -> int:
    """How many leading half-cycles keep the earlier version's rows (module docstring)."""
    if previous is None or memo.empty:
        return 0
    old = previous.memo
    if int(old["context"].iloc[0]) != int(memo["context"].iloc[0]):
        return 0
    m = min(len(memo), len(old))
    same = memo["fingerprint"].to_numpy()[:m] == old["fingerprint"].to_numpy()[:m]
    h = int(np.argmin(same)) if not same.all() else m
    return min(h, len(memo) - 1)  # the last half-cycle is always computed


def assemble(
    inputs: Inputs,
    memo: pd.DataFrame,
    previous: Previous | None,
    h: int,
    rows: Rows,
    params: dict[str, Any],
) -> Assembled:
    """The result: the earlier outputs' rows of the first ``h`` half-cycles, then ``rows``;
    an earlier series given unread stays unread (the result refers to its first rows)."""
    new = {"dqdv": rows.curves, "dvdq": rows.dvdq, "dqdv_peaks": rows.peaks}
    frames: dict[str, pd.DataFrame | GrownSeries] = {}
    shared: dict[str, int] = {}
    counts: dict[str, IntArray] = {}
    hashes: dict[str, npt.NDArray[Any]] = {}
    noise_V = rows.noise_V
    reuse = h and previous is not None
    old = previous.memo if previous is not None else pd.DataFrame()
    for name, columns in OUTPUTS.items():
        added = pd.DataFrame({c: new[name][c] for c in columns})
        count = rows.counts[name]
        kept = 0
        if reuse:
            count = np.concatenate([old[f"rows:{name}"].to_numpy(dtype=np.int64)[:h], count])
            kept = int(count[:h].sum())
            shared[name] = kept
        counts[name] = count
        if name in SERIES:  # the digest of each half-cycle's rows ("" where it has none)
            digest = np.full(len(count), "", dtype=object)
            if reuse:
                digest[:h] = old[f"sha256:{name}"].to_numpy(dtype=object)[:h]
            digest[len(count) - len(rows.counts[name]) :][rows.counts[name] > 0] = group_digests(
                added, GROUP
            )
            hashes[name] = digest
        earlier = previous.frames[name] if reuse and previous is not None else None
        if not kept or earlier is None:
            frames[name] = added
        elif isinstance(earlier, StoredSeries):
            frames[name] = GrownSeries(earlier, kept, added)
        else:
            before = earlier.iloc[:kept]
            # frames, not object arrays: a text column stays Arrow text (no per-value copy)
            frames[name] = (
                pd.concat([before, added], ignore_index=True)
                if len(added)
                else (before.reset_index(drop=True))
            )
    if reuse:
        noise_V = np.concatenate([old["noise_V"].to_numpy(dtype=np.float64)[:h], noise_V])
    memo = memo.assign(
        noise_V=noise_V,
        **{f"rows:{name}": counts[name] for name in OUTPUTS},
        **{f"sha256:{name}": hashes[name] for name in SERIES},
    )
    digests = {
        name: grouped_digest(
            int(counts[name].sum()), OUTPUTS[name], [d for d in hashes[name] if d], GROUP
        )
        for name in SERIES
    }
    params = {**params, "voltage_noise_V": float(np.median(noise_V))}
    return Assembled(frames, params, memo, shared, digests)
