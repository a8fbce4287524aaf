"""Durations written as text (``HH:MM:SS.fff``, ``1d 02:03:04``) parsed to seconds, vectorised.

Cyclers write the test and step time as a clock text (Neware ``Total Time``, Maccor
``TestTime``, Landt ``TestTime``); a 1M-row export is a million such texts. They are parsed
from the bytes of the Arrow string column that the CSV parser made, with numpy: the positions of
the two colons and of the decimal point give the fields, whose digits are summed with their
place values. Texts of another shape (a day prefix, spaces) are rare and go through one Arrow
regular expression (RE2). No Python runs per row.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: ``[D d |D days, |D-]HH:MM:SS[.f]`` (hours may exceed 24), as cyclers write durations.
DURATION_PATTERN = (
    r"^\s*(?:(?P<d>\d+)(?:\s*(?:d|days?),?\s*|-|\s+))?"
    r"(?P<h>\d+):(?P<m>\d{1,2}):(?P<s>\d+(?:\.\d*)?)\s*$"
)
_MAX_HOUR_DIGITS = 9
_MAX_FRACTION_DIGITS = 9
_ZERO, _COLON, _DOT = ord("0"), ord(":"), ord(".")


def arrow_text(values: Any) -> Any:
    """``values`` (a pandas Series of text, Arrow-backed or objects) as one pyarrow string array
    (or a time-of-day array, when the CSV parser took the durations for times)."""
    import pyarrow as pa

    array = getattr(values, "array", values)
    if hasattr(array, "__arrow_array__"):
        arrow = pa.array(array)
    else:
        objects = np.asarray(values, dtype=object)
        try:
            arrow = pa.array(objects, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed objects: as text
            arrow = pa.array([None if v is None else str(v) for v in objects], type=pa.string())
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    if pa.types.is_time(arrow.type):
        return arrow  # the CSV parser took "00:01:00" for a time of day
    if not (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)):
        arrow = arrow.cast(pa.string())
    return arrow


def duration_seconds(text: Any) -> FloatArray:
    """Seconds of each duration in the pyarrow string array ``text``; NaN where a value is
    missing or not a duration (the caller decides whether that is a number or an error)."""
    import pyarrow as pa

    n = len(text)
    out = np.full(n, np.nan)
    if n == 0:
        return out
    if pa.types.is_time(text.type):
        ticks = text.cast(pa.int64()).to_numpy(zero_copy_only=False)
        per_second = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}[text.type.unit]
        return np.asarray(ticks, dtype=np.float64) / per_second
    for fast in (_fixed_seconds, _split_seconds):
        seconds = fast(text)
        if seconds is not None:
            return seconds
    offsets_type = np.int64 if pa.types.is_large_string(text.type) else np.int32
    _validity, offsets_buf, data_buf = text.buffers()
    raw_offsets = np.frombuffer(offsets_buf, dtype=offsets_type)
    offsets = raw_offsets[text.offset : text.offset + n + 1].astype(np.int64)
    valid = text.is_valid().to_numpy(zero_copy_only=False)
    if data_buf is None or offsets[-1] == offsets[0]:
        return out
    fast = valid & _clock_seconds(
        np.frombuffer(data_buf, dtype=np.uint8)[: offsets[-1]], offsets, out
    )
    slow = np.flatnonzero(valid & ~fast)
    if len(slow):
        out[slow] = _regex_seconds(text.take(pa.array(slow)))
    return out


def _split_seconds(text: Any) -> FloatArray | None:
    """Seconds of a column whose every text is ``[Nd ]H:MM:SS[.f]`` with the same fields (as a
    cycler writes a column), split at the colons and cast by Arrow's C++ kernels (twice as fast
    as :func:`_clock_seconds`); None when any text is missing or of another shape (left to the
    general path, which gives the same values for these)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if text.null_count:
        return None
    parts = pc.split_pattern(pc.replace_substring(text, "d ", ":"), ":")
    lengths = pc.min_max(pc.list_value_length(parts))
    n_fields = lengths["min"].as_py()
    if n_fields != lengths["max"].as_py() or n_fields not in (3, 4):
        return None
    try:
        flat = pc.cast(pc.list_flatten(parts), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    fields = flat.to_numpy(zero_copy_only=False).reshape(-1, n_fields)
    whole, minutes, seconds = fields[:, :-1], fields[:, -2], fields[:, -1]
    if not (
        np.isfinite(fields).all()
        and (fields >= 0).all()
        and (whole == np.floor(whole)).all()
        and (minutes < 60).all()
        and (seconds < 60).all()
    ):
        return None
    total = fields[:, -3] * 3600.0 + minutes * 60.0 + seconds
    if n_fields == 4:
        total = fields[:, 0] * 86400.0 + total
    return np.asarray(total, dtype=np.float64)


#: The shapes :func:`_fixed_seconds` reads: ``[Nd ]H:M:S[.f]``, every field in digits.
_FIXED_SHAPE = re.compile(rb"(?:(\d+)d )?(\d+):(\d+):(\d+)(?:\.(\d+))?")
#: Digits a field may have for its value to be an exact float64 integer (< 2**53).
_MAX_EXACT_DIGITS = 15
#: More runs of equal-length texts than this: left to :func:`_split_seconds`.
_MAX_RUNS = 256


def _fixed_seconds(text: Any) -> FloatArray | None:
    """:func:`_split_seconds`' seconds, bit for bit, read from the bytes without making any
    list or string: a cycler writes a clock column with its fields at fixed places, so each run
    of texts of one length is a ``rows x length`` byte matrix (a view of the Arrow buffer) whose
    byte columns are checked (digit, or the first text's separator) and summed with their place
    values, one numpy operation per byte column, about ten times faster than splitting and
    casting. A field's value is its digits as an exact integer and the seconds are
    ``SSfff / 10**decimals`` (one correctly rounded division, the double nearest the decimal
    text, as Arrow's cast gives it), summed in :func:`_split_seconds`' order. None (the other
    paths decide) for a missing value, another shape (spaces, signs, a field without digits),
    minutes or seconds >= 60, days in some rows only, or many changes of length.
    """
    import pyarrow as pa

    n = len(text)
    is_large = pa.types.is_large_string(text.type)
    if n == 0 or text.null_count or not (pa.types.is_string(text.type) or is_large):
        return None
    _validity, offsets_buf, data_buf = text.buffers()
    if data_buf is None:
        return None
    raw = np.frombuffer(offsets_buf, dtype=np.int64 if is_large else np.int32)
    offsets = raw[text.offset : text.offset + n + 1].astype(np.int64)
    data = np.frombuffer(data_buf, dtype=np.uint8)
    lengths = np.diff(offsets)
    cuts = np.flatnonzero(lengths[1:] != lengths[:-1]) + 1
    if len(cuts) >= _MAX_RUNS:
        return None
    bounds = [0, *cuts.tolist(), n]
    out = np.empty(n, dtype=np.float64)
    with_days = None
    for a, b in itertools.pairwise(bounds):
        width = int(lengths[a])
        if width == 0:
            return None
        rows = data[offsets[a] : offsets[b]].reshape(b - a, width)
        fields = _fixed_fields(rows)
        if fields is None:
            return None
        days, hours, minutes, seconds = fields
        if with_days is None:
            with_days = days is not None
        if with_days != (days is not None):
            return None  # _split_seconds needs every text to have the same fields
        if not ((minutes < 60).all() and (seconds < 60).all()):
            return None
        total = hours * 3600.0 + minutes * 60.0 + seconds
        out[a:b] = total if days is None else days * 86400.0 + total
    return out


def _fixed_fields(
    rows: npt.NDArray[np.uint8],
) -> tuple[FloatArray | None, FloatArray, FloatArray, FloatArray] | None:
    """Days (None without), hours, minutes and seconds of the byte matrix ``rows`` whose every
    row has the shape and separators of the first; None when one does not."""
    shape = _FIXED_SHAPE.fullmatch(rows[0].tobytes())
    if shape is None:
        return None
    digits = rows - np.uint8(_ZERO)  # wraps below '0': a digit is < 10
    is_digit = np.frombuffer(shape.string, dtype=np.uint8) - np.uint8(_ZERO) < 10
    literal = np.flatnonzero(~is_digit)
    if not (digits[:, is_digit] < 10).all():
        return None
    if not (rows[:, literal] == rows[0, literal]).all():
        return None

    def value(*groups: int) -> FloatArray:
        places = [k for g in groups for k in range(shape.start(g), shape.end(g))]
        # The narrowest integers that hold the field (fewer bytes per operation), then floats.
        kind = np.uint8 if len(places) <= 2 else np.uint16 if len(places) <= 4 else np.uint64
        total: npt.NDArray[Any] = digits[:, places[0]].astype(kind)
        for k in places[1:]:
            total *= kind(10)
            total += digits[:, k]
        return total.astype(np.float64)

    widths = [len(shape.group(g) or b"") for g in range(1, 6)]
    if max(widths[:3]) > _MAX_EXACT_DIGITS or widths[3] + widths[4] > _MAX_EXACT_DIGITS:
        return None
    days = value(1) if shape.group(1) is not None else None
    seconds = value(4)
    if shape.group(5) is not None:
        seconds = value(4, 5) / 10.0 ** len(shape.group(5))
    return days, value(2), value(3), seconds


def _clock_seconds(
    data: npt.NDArray[np.uint8], offsets: npt.NDArray[np.int64], out: FloatArray
) -> npt.NDArray[np.bool_]:
    """Fill ``out`` for the rows shaped like the column's first value (``[D d ]H+:MM:SS[.f]``
    with the same number of decimals, as a cycler writes a column); return those rows.

    The minutes, seconds and decimals then sit at fixed distances from each text's end, so
    they are gathered with one indexing per byte position; the hours (and days) are read
    backwards from the first colon, a few digits at most.
    """
    starts, ends = offsets[:-1], offsets[1:]
    n = len(starts)
    ok = np.zeros(n, dtype=bool)
    sample = next(
        (bytes(data[s:e]) for s, e in zip(starts[:100], ends[:100], strict=True) if e > s), b""
    )
    shape = re.search(rb"(\d+):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*$", sample)
    if shape is None:
        return ok
    decimals = len(shape.group(4) or b"")
    tail = len(sample) - shape.end(1)  # bytes from the first colon to the end
    lengths = ends - starts
    ok = lengths > tail
    end = np.where(ok, ends, tail)  # rows too short are excluded; keep their indices valid
    bad = ~ok

    def byte(back: int) -> npt.NDArray[np.int16]:
        return np.asarray(data[end - back], dtype=np.int16)

    def digit(back: int) -> npt.NDArray[np.int16]:
        nonlocal bad
        value = byte(back) - _ZERO
        bad |= (value < 0) | (value > 9)
        return value

    bad |= byte(tail) != _COLON
    bad |= byte(tail - 3) != _COLON
    minutes = digit(tail - 1) * 10 + digit(tail - 2)
    seconds = (digit(tail - 4) * 10 + digit(tail - 5)).astype(np.float64)
    if decimals:
        bad |= byte(decimals + 1) != _DOT
        fraction = np.zeros(n, dtype=np.int64)
        for back in range(decimals, 0, -1):
            fraction = fraction * 10 + digit(back)
        seconds += fraction / 10.0**decimals
    # Hours: the digits before the first colon, read backwards until a non-digit or the start.
    at = end - tail - 1
    hours = np.zeros(n, dtype=np.int64)
    reading = ~bad
    place = 1
    for _ in range(_MAX_HOUR_DIGITS):
        inside = reading & (at >= starts)
        value = data[np.where(inside, at, 0)].astype(np.int64) - _ZERO
        is_digit = inside & (value >= 0) & (value <= 9)
        hours += np.where(is_digit, value, 0) * place
        place *= 10
        at = np.where(is_digit, at - 1, at)
        reading = is_digit
        if not reading.any():
            break
    bad |= at == end - tail - 1  # no hour digit
    # What is left before the hours: nothing, or a day count and its separator ("1d ", "1-").
    days = np.zeros(n, dtype=np.int64)
    rest = ~bad & (at >= starts)
    if rest.any():
        idx = np.flatnonzero(rest)
        found, read = _day_count(data, starts[idx], at[idx])
        days[idx[read]] = found[read]
        other = idx[~read]  # "3 days, 01:00:00" and the like: one regular expression each
        if len(other):
            days_found = _day_prefix(data, starts[other], at[other] + 1)
            failed = np.isnan(days_found)
            bad[other[failed]] = True
            days[other[~failed]] = days_found[~failed].astype(np.int64)
    good = ~bad
    total = days * 86400.0 + hours * 3600.0 + minutes * 60.0 + seconds
    out[good] = total[good]
    return good


def _day_count(
    data: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64], last: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """The day count of prefixes ``data[start:last + 1]`` written ``[ ]N d[ ]`` or ``N-`` (Maccor's
    ``  0d 00:00:05``), read backwards with numpy; and which prefixes were of that shape."""
    at = last.copy()

    def skip_spaces(at: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        for _ in range(4):
            space = (at >= starts) & (data[np.maximum(at, 0)] == ord(" "))
            at = np.where(space, at - 1, at)
        return at

    at = skip_spaces(at)
    ok = (at >= starts) & np.isin(data[np.maximum(at, 0)], (ord("d"), ord("-")))
    at = at - 1
    days = np.zeros(len(at), dtype=np.int64)
    place = 1
    digits = np.zeros(len(at), dtype=np.int64)
    reading = ok.copy()
    for _ in range(6):
        inside = reading & (at >= starts)
        value = data[np.maximum(at, 0)].astype(np.int64) - _ZERO
        is_digit = inside & (value >= 0) & (value <= 9)
        days += np.where(is_digit, value, 0) * place
        digits += is_digit
        place *= 10
        at = np.where(is_digit, at - 1, at)
        reading = is_digit
    at = skip_spaces(at)
    return days, ok & (digits > 0) & (at < starts)


def _day_prefix(
    data: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> FloatArray:
    """The day count of each prefix ``data[start:end]`` (``"1d "``, ``"2 days, "``, ``"3-"``,
    ``"4 "``); NaN where a prefix is not one."""
    texts = [bytes(data[s:e]).decode("latin-1") for s, e in zip(starts, ends, strict=True)]
    found = np.full(len(texts), np.nan)
    for i, text in enumerate(texts):
        m = _DAY_PREFIX.match(text)
        if m:
            found[i] = float(m.group(1))
    return found


_DAY_PREFIX = re.compile(r"^\s*(\d+)(?:\s*(?:d|days?),?\s*|-|\s+)$")


def _regex_seconds(text: Any) -> FloatArray:
    """Seconds of durations of any shape :data:`DURATION_PATTERN` accepts (NaN elsewhere)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = pc.extract_regex(text, DURATION_PATTERN)
    total = np.zeros(len(text), dtype=np.float64)
    for name, scale in (("d", 86400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        field = pc.struct_field(parts, name)
        if name == "d":
            field = pc.if_else(pc.equal(field, ""), "0", field)
        values = pc.cast(field, pa.float64()).to_numpy(zero_copy_only=False)
        total += values * scale if scale != 1.0 else values
    return total


def wall_clock_seconds(values: Any, fmt: str) -> FloatArray:
    """Unix seconds (the clock taken as UTC) of date-time texts in the strptime format ``fmt``
    (``%m/%d/%Y %H:%M:%S``, ``%Y-%m-%d %I:%M:%S %p``...); NaN where a text does not match.
    Parsed by Arrow's C++ strptime: pandas' ``to_datetime`` with such a format runs Python
    per row (45 s for a million Maccor ``DPt Time`` texts, 0.5 s here). ``values`` may also be
    date-times parsed already (naive ``datetime64``), as the CSV parser gives them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if str(getattr(values, "dtype", "")).startswith("datetime64"):
        # Parsed already (``_text.read_table`` with ``timestamp_formats``): naive, taken as UTC.
        stamps = np.asarray(values, dtype="datetime64[s]")
        seconds_since = stamps.astype(np.int64).astype(np.float64)
        seconds_since[np.isnat(stamps)] = np.nan
        return seconds_since
    text = arrow_text(values)
    if pa.types.is_time(text.type):
        return np.full(len(text), np.nan)
    stamps = pc.strptime(pc.utf8_trim_whitespace(text), format=fmt, unit="s", error_is_null=True)
    seconds = stamps.cast(pa.int64()).to_numpy(zero_copy_only=False)
    return np.asarray(seconds, dtype=np.float64)
