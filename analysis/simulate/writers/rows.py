"""What every cycler export is written from: the rows of a trace with the counters cyclers keep,
and one fast delimited-text writer (pyarrow's CSV writer: a 1M-row export in seconds).

:class:`CyclerRows` holds, per recorded row, the test and step times (s), the schedule step, the
running step instance, the cycle, current (A, positive charging), voltage (V), the wall clock,
and the charge and energy counted three ways vendors count them: unsigned within the step
(Neware, Maccor, Landt, Novonix), and per direction within the cycle (Arbin, Battery Archive).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from analysis.simulate._trace import CyclerTrace
from analysis.simulate.writers.counters import _step_table

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class CyclerRows:
    """Per-row values of a cycler run, in SI units (see the module docstring)."""

    test_time_s: FloatArray
    step_time_s: FloatArray
    step_index: IntArray  #: the step's number in the schedule, from 1
    step_count: IntArray  #: running number of the step instance, from 1
    cycle: IntArray  #: cycle number, from 1
    current_A: FloatArray
    voltage_V: FloatArray
    step_capacity_Ah: FloatArray  #: unsigned, from 0 at every step start
    step_energy_Wh: FloatArray  #: unsigned, from 0 at every step start
    charge_capacity_Ah: FloatArray  #: charge passed charging, cumulative within the cycle
    discharge_capacity_Ah: FloatArray
    charge_energy_Wh: FloatArray
    discharge_energy_Wh: FloatArray
    unix_time_s: FloatArray
    temperature_C: FloatArray

    @property
    def step_direction(self) -> IntArray:
        """+1 charging, -1 discharging, 0 rest: the sign of the step's summed current."""
        first = np.flatnonzero(np.r_[True, self.step_count[1:] != self.step_count[:-1]])
        ids = np.cumsum(np.r_[True, self.step_count[1:] != self.step_count[:-1]]) - 1
        total = np.add.reduceat(self.current_A, first)
        signs: IntArray = np.asarray(np.sign(total), dtype=np.int64)
        return np.take(signs, ids)

    def __len__(self) -> int:
        return len(self.test_time_s)


def cycler_rows(trace: CyclerTrace, started: dt.datetime) -> CyclerRows:
    """The rows of ``trace`` with every counter (cycles and steps numbered from 1)."""
    s = _step_table(trace)
    t = np.asarray(s["time_s"], dtype=np.float64)
    first = np.asarray(s["first"], dtype=bool)
    step_start_t = t[first][np.cumsum(first) - 1]
    energy = np.asarray(s["step_energy_Wh"], dtype=np.float64)
    cycle = np.asarray(s["cycle"], dtype=np.int64)
    step = np.asarray(s["step"], dtype=np.int64)
    started_utc = started if started.tzinfo else started.replace(tzinfo=dt.UTC)
    n = t.size
    return CyclerRows(
        test_time_s=t,
        step_time_s=t - step_start_t,
        step_index=step - step.min() + 1,
        step_count=np.asarray(s["step_number"], dtype=np.int64) + 1,
        cycle=cycle - cycle.min() + 1,
        current_A=np.asarray(s["current_mA"], dtype=np.float64) / 1000.0,
        voltage_V=np.asarray(s["voltage_V"], dtype=np.float64),
        step_capacity_Ah=np.abs(np.asarray(s["step_q"], dtype=np.float64)) / 1000.0,
        step_energy_Wh=np.abs(energy),  # the trace counts energy from 0 in every step
        charge_capacity_Ah=np.asarray(s["q_charge"], dtype=np.float64) / 1000.0,
        discharge_capacity_Ah=np.asarray(s["q_discharge"], dtype=np.float64) / 1000.0,
        charge_energy_Wh=np.asarray(s["e_charge"], dtype=np.float64),
        discharge_energy_Wh=np.asarray(s["e_discharge"], dtype=np.float64),
        unix_time_s=started_utc.timestamp() + t,
        temperature_C=np.full(n, 25.0),
    )


def numbers(values: npt.ArrayLike, decimals: int) -> Any:
    """``values`` as fixed-point text with ``decimals`` decimals (``0.0191579754``, never an
    exponent: what cyclers write), as a pyarrow string array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    scale = 10**decimals
    ticks = np.round(np.asarray(values, dtype=np.float64) * scale).astype(np.int64)
    whole, frac = np.divmod(np.abs(ticks), scale)
    text = pc.cast(pa.array(whole), pa.string())
    negative = ticks < 0
    if negative.any():
        text = pc.binary_join_element_wise(pc.if_else(pa.array(negative), "-", ""), text, "")
    if decimals:
        text = pc.binary_join_element_wise(text, _padded(frac, decimals), ".")
    return text


def integers(values: npt.ArrayLike) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def clock(seconds: npt.ArrayLike, *, decimals: int = 3, days: bool = False) -> Any:
    """Durations as ``HH:MM:SS.fff`` (hours past 24 as they come), or ``Nd HH:MM:SS.f`` with
    ``days``: the clock texts cyclers write for test and step times."""
    import pyarrow as pa
    import pyarrow.compute as pc

    scale = 10**decimals
    ticks = np.round(np.asarray(seconds, dtype=np.float64) * scale).astype(np.int64)
    whole, frac = np.divmod(ticks, scale)
    hours, rest = np.divmod(whole, 3600)
    minutes, secs = np.divmod(rest, 60)
    parts = []
    if days:
        day, hours = np.divmod(hours, 24)
        parts += [pc.cast(pa.array(day), pa.string()), "d "]
    parts += [
        _padded(hours, 2),
        ":",
        _padded(minutes, 2),
        ":",
        _padded(secs, 2),
    ]
    if decimals:
        parts += [".", _padded(frac, decimals)]
    return pc.binary_join_element_wise(*parts, "")


def _padded(values: IntArray, width: int) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width=width, padding="0")


def wall_clock(unix_s: npt.ArrayLike, fmt: str) -> Any:
    """Wall-clock texts (UTC) in the strftime format ``fmt``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    seconds = np.floor(np.asarray(unix_s, dtype=np.float64)).astype("datetime64[s]")
    return pc.strftime(pa.array(seconds), format=fmt)


def write_text(
    path: str | Path,
    columns: Mapping[str, Any],
    *,
    preamble: Sequence[str] = (),
    delimiter: str = ",",
    line_end: str = "\r\n",
    encoding: str = "utf-8",
    bom: bool = False,
    decimal_comma: bool = False,
    trailing_delimiter: bool = False,
    header: bool = True,
) -> Path:
    """Write a delimited table: ``preamble`` lines, the header line, then the rows.

    ``columns`` maps each header name to text (pyarrow string arrays, e.g. from
    :func:`numbers`). ``decimal_comma`` writes the decimal point of every number as a comma (a
    German or French Windows locale); ``trailing_delimiter`` ends every row (not the header)
    with one more delimiter (what some exports do); ``bom`` starts the file with the UTF-8 byte-order mark.
    """
    import io

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    names = list(columns)
    arrays = [
        pa.array(columns[c]) if not isinstance(columns[c], pa.Array) else columns[c] for c in names
    ]
    if decimal_comma:
        arrays = [pc.replace_substring_regex(a, r"^(-?\d+)\.(\d+)$", r"\1,\2") for a in arrays]
    if trailing_delimiter:
        names.append("")
        arrays.append(pa.array([""] * len(arrays[0])))
    table = pa.table(arrays, names=[f"c{i}" for i in range(len(names))])
    body = io.BytesIO()
    pacsv.write_csv(
        table,
        body,
        pacsv.WriteOptions(
            include_header=False, delimiter=delimiter, eol=line_end, quoting_style="none"
        ),
    )
    head = [*preamble]
    if header:  # the extra delimiter of ``trailing_delimiter`` ends the rows, not the header
        head.append(delimiter.join(n for n in names if n or not trailing_delimiter))
    text_head = "".join(line + line_end for line in head)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = body.getvalue()
    with path.open("wb") as fh:
        if bom:
            fh.write(b"\xef\xbb\xbf")
        fh.write(text_head.encode(encoding))
        fh.write(data if encoding in ("utf-8", "ascii") else data.decode().encode(encoding))
    return path


def write_lines(
    path: str | Path, lines: Any, *, preamble: Sequence[str] = (), line_end: str = "\r\n"
) -> Path:
    """Write ``preamble`` then ``lines`` (a pyarrow string array, one text line each)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("".join(line + line_end for line in preamble))
        for start in range(0, len(lines), 1 << 16):
            chunk = lines.slice(start, 1 << 16).to_pylist()
            fh.write(line_end.join(chunk) + line_end)
    return path
