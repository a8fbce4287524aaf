"""Writers of real instrument formats for simulated data: BioLogic EC-Lab ``.mpt`` and Arbin CSV.

The files follow what the instruments write, so the demo exercises the same readers as real data:

- :func:`write_gcpl_mpt`: EC-Lab ASCII export of a GCPL run (``EC-Lab ASCII FILE``, ``Nb header
  lines : N``, the technique and its settings table, then EC-Lab's tab-separated GCPL columns
  from ``mode`` to ``P/W``). Windows-1252 text with CRLF line ends (``µ`` in ``µF``), numbers
  in EC-Lab's ``%.7E`` style, the time with 15 digits. Counters as EC-Lab keeps them: ``(Q-Qo)``
  from the start of the run; ``Q charge/discharge`` per half cycle (signed); ``Q charge``,
  ``Q discharge``, ``Energy charge`` and ``Energy discharge`` per cycle; ``Efficiency`` =
  Q charge / Q discharge of the cycle in %.
- :func:`write_peis_mpt`: EC-Lab ASCII export of PEIS spectra (one or several: an in-situ series
  is a Modulo Bat run whose DC rows carry ``freq/Hz`` = 0 between the spectra).
- :func:`write_arbin_csv`: Arbin MITS Pro CSV export (``Data_Point``, ``Test_Time(s)``,
  ``Date_Time``, ..., capacities and energies in Ah and Wh, cumulative within the cycle as
  MITS Pro counts them, reset when ``Cycle_Index`` increments).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from analysis.simulate._trace import MODE_REST, CyclerTrace

FloatArray = npt.NDArray[np.float64]

GCPL_COLUMNS = (
    "mode",
    "ox/red",
    "error",
    "control changes",
    "Ns changes",
    "counter inc.",
    "Ns",
    "time/s",
    "control/V/mA",
    "Ewe/V",
    "I/mA",
    "dQ/C",
    "(Q-Qo)/mA.h",
    "half cycle",
    "Q charge/discharge/mA.h",
    "Energy charge/W.h",
    "Energy discharge/W.h",
    "Capacitance charge/µF",
    "Capacitance discharge/µF",
    "Q discharge/mA.h",
    "Q charge/mA.h",
    "Capacity/mA.h",
    "Efficiency/%",
    "cycle number",
    "P/W",
)

PEIS_COLUMNS = (
    "freq/Hz",
    "Re(Z)/Ohm",
    "-Im(Z)/Ohm",
    "|Z|/Ohm",
    "Phase(Z)/deg",
    "time/s",
    "<Ewe>/V",
    "<I>/mA",
    "Cs/µF",
    "Cp/µF",
    "cycle number",
    "I Range",
    "|Ewe|/V",
    "|I|/A",
    "Ns",
    "(Q-Qo)/mA.h",
    "Re(Y)/Ohm-1",
    "Im(Y)/Ohm-1",
    "|Y|/Ohm-1",
    "Phase(Y)/deg",
    "dq/mA.h",
)

#: Columns of a Modulo Bat run mixing galvanostatic sequences and PEIS (in-situ EIS).
MB_COLUMNS = (
    "mode",
    "ox/red",
    "error",
    "control changes",
    "Ns changes",
    "counter inc.",
    "Ns",
    "time/s",
    "control/V/mA",
    "Ewe/V",
    "I/mA",
    "dQ/C",
    "(Q-Qo)/mA.h",
    "half cycle",
    "freq/Hz",
    "Re(Z)/Ohm",
    "-Im(Z)/Ohm",
    "|Z|/Ohm",
    "Phase(Z)/deg",
    "<Ewe>/V",
    "<I>/mA",
    "|Ewe|/V",
    "|I|/A",
    "cycle number",
    "z cycle",
)

ARBIN_COLUMNS = (
    "Data_Point",
    "Test_Time(s)",
    "Date_Time",
    "Step_Time(s)",
    "Step_Index",
    "Cycle_Index",
    "Current(A)",
    "Voltage(V)",
    "Charge_Capacity(Ah)",
    "Discharge_Capacity(Ah)",
    "Charge_Energy(Wh)",
    "Discharge_Energy(Wh)",
    "dV/dt(V/s)",
    "Internal_Resistance(Ohm)",
)

_INT_COLUMNS = {
    "mode",
    "ox/red",
    "error",
    "control changes",
    "Ns changes",
    "counter inc.",
    "Ns",
    "half cycle",
    "I Range",
}
_LONG_COLUMNS = {"time/s", "cycle number", "z cycle"}


@dataclass(frozen=True)
class InstrumentInfo:
    """What the header says about the run: device, channel, start, sample."""

    device: str
    serial: str
    channel: int
    started: dt.datetime
    file_stem: str
    electrode: str = ""
    electrolyte: str = "Li6PS5Cl"
    comments: str = "labdb demo data: simulated, not measured"
    area_cm2: float = 0.785


def _fmt(name: str) -> str:
    if name in _INT_COLUMNS:
        return "%d"
    if name in _LONG_COLUMNS:
        return "%.15E"
    return "%.7E"


def _rows(columns: Sequence[str], data: Mapping[str, npt.NDArray[np.generic]]) -> list[str]:
    fmt = "\t".join(_fmt(c) for c in columns)
    values = [
        data[c].astype(np.int64).tolist() if c in _INT_COLUMNS else data[c].tolist()
        for c in columns
    ]
    return [fmt % row for row in zip(*values, strict=True)]


def _settings_table(rows: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    return [label.ljust(20) + "".join(v.ljust(20) for v in values) for label, values in rows]


def _mpt_header(technique: str, info: InstrumentInfo, settings: list[str]) -> list[str]:
    started = info.started.strftime("%m/%d/%Y %H:%M:%S")
    return [
        "EC-Lab ASCII FILE",
        "Nb header lines : {n}                          ",
        "",
        technique,
        "",
        f"Run on channel : {info.channel} (SN {info.serial})",
        "User : ",
        "CE vs. WE compliance from -10 V to 10 V",
        "Electrode connection : standard",
        "Potential control : Ewe",
        "Ewe ctrl range : min = -5.00 V, max = 5.00 V",
        "Safety Limits :",
        "\tDo not start on E overload",
        f"Acquisition started on : {started}",
        "Loaded Setting File : NONE",
        "Saved on :",
        f"\tFile : {info.file_stem}.mpr",
        "\tDirectory : C:\\Data\\anodeless-multiseed\\",
        "\tHost : 192.168.0.12",
        f"Device : {info.device} (SN {info.serial})",
        "Address : 192.168.0.20",
        "EC-Lab for windows v11.50 (software)",
        "Internet server v11.50 (firmware)",
        "Command interpretor v11.50 (firmware)",
        f"Electrode material : {info.electrode}",
        "Initial state : pristine",
        f"Electrolyte : {info.electrolyte}",
        f"Comments : {info.comments}",
        f"Electrode surface area : {info.area_cm2:.3f} cm²",
        "Characteristic mass : 0.001 g",
        "Text export",
        "   Mode : Standard",
        "   Time format : Elapsed",
        "Cycle Definition : Charge/Discharge alternance",
        *settings,
        "",
    ]


def _write_mpt(path: Path, header: list[str], columns: Sequence[str], rows: list[str]) -> Path:
    n = len(header) + 1
    header = [header[0], header[1].format(n=n), *header[2:]]
    text = "\r\n".join([*header, "\t".join(columns) + "\t", *rows]) + "\r\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("cp1252"))
    return path


def _step_table(trace: CyclerTrace) -> dict[str, npt.NDArray[np.generic]]:
    """Per-row EC-Lab counters from a trace (see the module docstring)."""
    a = trace.arrays()
    current = a["current_mA"].astype(np.float64)
    step_no = a["step_number"].astype(np.int64)
    cycle = a["cycle"].astype(np.int64)
    mode = a["mode"].astype(np.int64)
    n_steps = int(step_no[-1]) + 1
    step_sign = np.sign(np.bincount(step_no, weights=np.where(mode == MODE_REST, 0.0, current)))
    # half cycles: a new one where a non-rest step's direction differs from the last one's
    half = np.zeros(n_steps, dtype=np.int64)
    last_sign = 0.0
    count = 0
    for s in range(n_steps):
        if step_sign[s] != 0:
            if last_sign != 0 and step_sign[s] != last_sign:
                count += 1
            last_sign = step_sign[s]
        half[s] = count
    row_half = half[step_no]
    first = np.ones(step_no.size, dtype=bool)
    first[1:] = step_no[1:] != step_no[:-1]
    q = a["charge_mAh"].astype(np.float64)
    step_start_q = q[first][step_no]
    half_start = np.ones(step_no.size, dtype=bool)
    half_start[1:] = row_half[1:] != row_half[:-1]
    half_q = q - q[half_start][np.cumsum(half_start) - 1]
    cycle_start = np.ones(step_no.size, dtype=bool)
    cycle_start[1:] = cycle[1:] != cycle[:-1]
    cycle_id = np.cumsum(cycle_start) - 1
    # per-direction charge and energy accumulated within the cycle
    dq = np.diff(q, prepend=q[0])
    dq[cycle_start] = 0.0
    energy = a["step_energy_Wh"].astype(np.float64)
    de = np.diff(energy, prepend=0.0)
    de[first] = energy[first]
    de[cycle_start] = 0.0
    pos = current > 0
    neg = current < 0
    out: dict[str, npt.NDArray[np.generic]] = dict(a)
    out["q_charge"] = _cumsum_by(np.where(dq > 0, dq, 0.0), cycle_id)
    out["q_discharge"] = _cumsum_by(np.where(dq < 0, -dq, 0.0), cycle_id)
    out["e_charge"] = _cumsum_by(np.where(pos, de, 0.0), cycle_id)
    out["e_discharge"] = _cumsum_by(np.where(neg, de, 0.0), cycle_id)
    out["half_cycle"] = row_half
    out["half_q"] = half_q
    out["step_q"] = q - step_start_q
    out["first"] = first
    out["cycle_start"] = cycle_start & (np.arange(step_no.size) > 0)
    return out


def _cumsum_by(values: FloatArray, group: npt.NDArray[np.int64]) -> FloatArray:
    total = np.cumsum(values)
    starts = np.ones(group.size, dtype=bool)
    starts[1:] = group[1:] != group[:-1]
    base = (total - values)[starts][np.cumsum(starts) - 1]
    return np.asarray(total - base, dtype=np.float64)


def write_gcpl_mpt(
    path: str | Path,
    trace: CyclerTrace,
    info: InstrumentInfo,
    *,
    settings: Sequence[tuple[str, Sequence[str]]],
) -> Path:
    """Write ``trace`` as an EC-Lab GCPL text export (``settings``: the Ns parameter table)."""
    s = _step_table(trace)
    current = np.asarray(s["current_mA"], dtype=np.float64)
    voltage = np.asarray(s["voltage_V"], dtype=np.float64)
    q_charge = np.asarray(s["q_charge"], dtype=np.float64)
    q_dis = np.asarray(s["q_discharge"], dtype=np.float64)
    half_q = np.asarray(s["half_q"], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        efficiency = np.where(q_dis > 0, 100.0 * q_charge / q_dis, 0.0)
    data: dict[str, npt.NDArray[np.generic]] = {
        "mode": s["mode"],
        "ox/red": (current > 0).astype(np.int64),
        "error": np.zeros(current.size, dtype=np.int64),
        "control changes": s["first"].astype(np.int64),
        "Ns changes": s["first"].astype(np.int64),
        "counter inc.": s["cycle_start"].astype(np.int64),
        "Ns": s["step"],
        "time/s": s["time_s"],
        "control/V/mA": s["control"],
        "Ewe/V": voltage,
        "I/mA": current,
        "dQ/C": np.asarray(s["step_q"], dtype=np.float64) * 3.6,
        "(Q-Qo)/mA.h": s["charge_mAh"],
        "half cycle": s["half_cycle"],
        "Q charge/discharge/mA.h": half_q,
        "Energy charge/W.h": s["e_charge"],
        "Energy discharge/W.h": s["e_discharge"],
        "Capacitance charge/µF": np.zeros(current.size),
        "Capacitance discharge/µF": np.zeros(current.size),
        "Q discharge/mA.h": q_dis,
        "Q charge/mA.h": q_charge,
        "Capacity/mA.h": np.abs(half_q),
        "Efficiency/%": efficiency,
        "cycle number": s["cycle"].astype(np.float64),
        "P/W": voltage * current / 1000.0,
    }
    header = _mpt_header(
        "Galvanostatic Cycling with Potential Limitation",
        info,
        ["Do not turn to OCV between techniques", *_settings_table(settings)],
    )
    return _write_mpt(Path(path), header, GCPL_COLUMNS, _rows(GCPL_COLUMNS, data))


@dataclass(frozen=True)
class Spectrum:
    """One impedance spectrum as a potentiostat records it."""

    frequency_hz: FloatArray
    impedance_ohm: npt.NDArray[np.complex128]
    time_s: FloatArray  # time of each point since the start of the run
    potential_V: float
    current_mA: float
    charge_mAh: float = 0.0


def _spectrum_columns(sp: Spectrum, cycle: int, ns: int) -> dict[str, npt.NDArray[np.generic]]:
    z = sp.impedance_ohm
    f = sp.frequency_hz
    n = f.size
    amp_V = 0.01
    omega = 2.0 * np.pi * f
    y = 1.0 / z
    mag = np.abs(z)
    return {
        "freq/Hz": f,
        "Re(Z)/Ohm": z.real,
        "-Im(Z)/Ohm": -z.imag,
        "|Z|/Ohm": mag,
        "Phase(Z)/deg": np.degrees(np.angle(z)),
        "time/s": sp.time_s,
        "<Ewe>/V": np.full(n, sp.potential_V),
        "<I>/mA": np.full(n, sp.current_mA),
        "Cs/µF": -1e6 / (omega * z.imag),
        "Cp/µF": 1e6 * y.imag / omega,
        "cycle number": np.full(n, float(cycle)),
        "I Range": np.full(n, 10, dtype=np.int64),
        "|Ewe|/V": np.full(n, amp_V),
        "|I|/A": amp_V / mag,
        "Ns": np.full(n, ns, dtype=np.int64),
        "(Q-Qo)/mA.h": np.full(n, sp.charge_mAh),
        "Re(Y)/Ohm-1": y.real,
        "Im(Y)/Ohm-1": y.imag,
        "|Y|/Ohm-1": np.abs(y),
        "Phase(Y)/deg": np.degrees(np.angle(y)),
        "dq/mA.h": np.zeros(n),
    }


def peis_settings(f_max_hz: float, f_min_hz: float, points_per_decade: int) -> list[str]:
    """The PEIS settings block of an EC-Lab export."""

    def freq(value: float) -> tuple[str, str]:
        for unit, scale in (("MHz", 1e6), ("kHz", 1e3), ("Hz", 1.0), ("mHz", 1e-3)):
            if value >= scale:
                return f"{value / scale:.3f}", unit
        return f"{value * 1e3:.3f}", "mHz"

    fi, ufi = freq(f_max_hz)
    ff, uff = freq(f_min_hz)
    rows = [
        ("Mode", ["Single sine"]),
        ("E (V)", ["0.0000"]),
        ("vs.", ["Eoc"]),
        ("tE (h:m:s)", ["0:00:0.0000"]),
        ("record", ["0"]),
        ("dI", ["0.000"]),
        ("unit dI", ["mA"]),
        ("dt (s)", ["0.000"]),
        ("fi", [fi]),
        ("unit fi", [ufi]),
        ("ff", [ff]),
        ("unit ff", [uff]),
        ("Nd", [str(points_per_decade)]),
        ("Points", ["per decade"]),
        ("spacing", ["Logarithmic"]),
        ("Va (mV)", ["10.0"]),
        ("pw", ["0.10"]),
        ("Na", ["2"]),
        ("corr", ["0"]),
        ("E range min (V)", ["-5.000"]),
        ("E range max (V)", ["5.000"]),
        ("I Range", ["Auto"]),
        ("Bandwidth", ["7"]),
        ("nc cycles", ["0"]),
        ("goto Ns'", ["0"]),
        ("nr cycles", ["0"]),
        ("inc. cycle", ["0"]),
    ]
    return _settings_table(rows)


def write_peis_mpt(
    path: str | Path,
    spectra: Sequence[Spectrum],
    info: InstrumentInfo,
    *,
    points_per_decade: int = 10,
) -> Path:
    """Write PEIS spectra as an EC-Lab text export; each spectrum is one ``cycle number``."""
    parts = [_spectrum_columns(sp, i, 0) for i, sp in enumerate(spectra)]
    data = {c: np.concatenate([p[c] for p in parts]) for c in PEIS_COLUMNS}
    f = spectra[0].frequency_hz
    header = _mpt_header(
        "Potentio Electrochemical Impedance Spectroscopy",
        info,
        peis_settings(float(f.max()), float(f.min()), points_per_decade),
    )
    return _write_mpt(Path(path), header, PEIS_COLUMNS, _rows(PEIS_COLUMNS, data))


def write_insitu_mpt(
    path: str | Path,
    trace: CyclerTrace,
    spectra: Sequence[tuple[int, Spectrum]],
    info: InstrumentInfo,
    *,
    settings: Sequence[tuple[str, Sequence[str]]],
) -> Path:
    """A Modulo Bat export: galvanostatic rows of ``trace`` interleaved with PEIS spectra.

    ``spectra`` pairs each spectrum with the Ns of its PEIS sequence; a spectrum goes after the
    last trace row recorded before its first point. ``z cycle`` numbers the spectra from 1
    (the in-situ sequence); DC rows carry ``freq/Hz`` = 0 and ``z cycle`` = 0.
    """
    s = _step_table(trace)
    current = np.asarray(s["current_mA"], dtype=np.float64)
    voltage = np.asarray(s["voltage_V"], dtype=np.float64)
    n = current.size
    zeros = np.zeros(n)
    dc: dict[str, npt.NDArray[np.generic]] = {
        "mode": s["mode"],
        "ox/red": (current > 0).astype(np.int64),
        "error": np.zeros(n, dtype=np.int64),
        "control changes": s["first"].astype(np.int64),
        "Ns changes": s["first"].astype(np.int64),
        "counter inc.": s["cycle_start"].astype(np.int64),
        "Ns": s["step"],
        "time/s": s["time_s"],
        "control/V/mA": s["control"],
        "Ewe/V": voltage,
        "I/mA": current,
        "dQ/C": np.asarray(s["step_q"], dtype=np.float64) * 3.6,
        "(Q-Qo)/mA.h": s["charge_mAh"],
        "half cycle": s["half_cycle"],
        "freq/Hz": zeros,
        "Re(Z)/Ohm": zeros,
        "-Im(Z)/Ohm": zeros,
        "|Z|/Ohm": zeros,
        "Phase(Z)/deg": zeros,
        "<Ewe>/V": voltage,
        "<I>/mA": current,
        "|Ewe|/V": zeros,
        "|I|/A": zeros,
        "cycle number": s["cycle"].astype(np.float64),
        "z cycle": zeros,
    }
    times = np.asarray(s["time_s"], dtype=np.float64)
    dc_rows = _rows(MB_COLUMNS, dc)
    blocks: list[tuple[float, int, list[str]]] = [
        (float(t), 0, [row]) for t, row in zip(times.tolist(), dc_rows, strict=True)
    ]
    half = np.asarray(s["half_cycle"], dtype=np.int64)
    for k, (ns, sp) in enumerate(spectra, start=1):
        cols = _spectrum_columns(sp, 0, ns)
        m = sp.frequency_hz.size
        at = int(np.searchsorted(times, sp.time_s[0]) - 1)
        data = {
            **{c: cols[c] for c in MB_COLUMNS if c in cols},
            "mode": np.full(m, 3, dtype=np.int64),
            "ox/red": np.zeros(m, dtype=np.int64),
            "error": np.zeros(m, dtype=np.int64),
            "control changes": np.r_[1, np.zeros(m - 1)].astype(np.int64),
            "Ns changes": np.r_[1, np.zeros(m - 1)].astype(np.int64),
            "counter inc.": np.zeros(m, dtype=np.int64),
            "control/V/mA": np.zeros(m),
            "Ewe/V": np.full(m, sp.potential_V),
            "I/mA": np.full(m, sp.current_mA),
            "dQ/C": np.zeros(m),
            "half cycle": np.full(m, half[max(at, 0)], dtype=np.int64),
            "cycle number": np.full(m, float(s["cycle"][max(at, 0)])),
            "z cycle": np.full(m, float(k)),
        }
        blocks.append((float(sp.time_s[0]), 1, _rows(MB_COLUMNS, data)))
    blocks.sort(key=lambda b: (b[0], b[1]))
    rows = [row for _, _, block in blocks for row in block]
    header = _mpt_header("Modulo Bat", info, _settings_table(settings))
    return _write_mpt(Path(path), header, MB_COLUMNS, rows)


def write_arbin_csv(path: str | Path, trace: CyclerTrace, started: dt.datetime) -> Path:
    """Write ``trace`` as an Arbin MITS Pro CSV export (columns :data:`ARBIN_COLUMNS`)."""
    s = _step_table(trace)
    t = np.asarray(s["time_s"], dtype=np.float64)
    first = np.asarray(s["first"], dtype=bool)
    step_start_t = t[first][np.cumsum(first) - 1]
    v = np.asarray(s["voltage_V"], dtype=np.float64)
    dv = np.diff(v, prepend=v[0])
    dtt = np.diff(t, prepend=t[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        dvdt = np.where(dtt > 0, dv / dtt, 0.0)
    base = np.datetime64(started.replace(tzinfo=None), "ms")
    stamps = base + np.round(t * 1000.0).astype("timedelta64[ms]")
    dates = np.datetime_as_string(stamps, unit="ms")
    lines = [",".join(ARBIN_COLUMNS)]
    fmt = "%d,%.4f,%s,%.4f,%d,%d,%.9g,%.7g,%.9g,%.9g,%.9g,%.9g,%.6g,%d"
    columns = [
        np.arange(1, t.size + 1).tolist(),
        t.tolist(),
        [d.replace("T", " ") for d in dates.tolist()],
        (t - step_start_t).tolist(),
        np.asarray(s["step"], dtype=np.int64).tolist(),
        np.asarray(s["cycle"], dtype=np.int64).tolist(),
        (np.asarray(s["current_mA"], dtype=np.float64) / 1000.0).tolist(),
        v.tolist(),
        (np.asarray(s["q_charge"], dtype=np.float64) / 1000.0).tolist(),
        (np.asarray(s["q_discharge"], dtype=np.float64) / 1000.0).tolist(),
        np.asarray(s["e_charge"], dtype=np.float64).tolist(),
        np.asarray(s["e_discharge"], dtype=np.float64).tolist(),
        dvdt.tolist(),
        [0] * t.size,
    ]
    lines += [fmt % row for row in zip(*columns, strict=True)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("ascii"))
    return path
