"""Vector figures (SVG, PDF) drawn with matplotlib from the figure dicts the pages plot.

Every plot of the cell page, the comparison page and the batch page is built once, as a Plotly
figure dict (``data`` and ``layout``) from stored results (:mod:`labdb.web.figures`); this
module draws that same dict with matplotlib in the style of :mod:`labdb.reports.style`, so
the downloaded figure shows exactly the series, axes and units the page shows, and computes
nothing. What it understands of the dict: scatter traces (lines, markers, dashes, colours,
error bars), grouped bar charts with error bars, a right-hand y axis (``overlaying``), stacked
panels (``domain``, e.g. the Nyquist plot over its residuals), log axes, reversed axes, equal
aspect (``scaleanchor``), explicit ranges, and line shapes and text annotations (the short
circuit marker). The title is left out: a paper figure's title is its caption.

Each drawn series carries the SVG id ``series-<n>`` and each axes ``axes-<ref>``, so a file can
be checked for what it shows.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from collections.abc import Sequence
from typing import Any

from django.core.cache import cache

from labdb.reports.style import ASPECT, METADATA, MM_PER_INCH, STYLE, width_mm

#: bump when the drawing changes, so that cached files are drawn again
RENDERER_VERSION = "1"
#: formats and their content types
FORMATS = {"svg": "image/svg+xml", "pdf": "application/pdf"}
CACHE_SECONDS = 24 * 3600

DASHES: dict[str, Any] = {
    "solid": "-",
    "dash": (0, (4.0, 2.0)),
    "dot": (0, (1.0, 1.5)),
    "dashdot": (0, (4.0, 1.5, 1.0, 1.5)),
    "longdash": (0, (7.0, 2.0)),
    "longdashdot": (0, (7.0, 2.0, 1.0, 2.0)),
}
SYMBOLS = {
    "circle": "o",
    "square": "s",
    "diamond": "D",
    "triangle-up": "^",
    "triangle-down": "v",
    "cross": "P",
    "x": "X",
}


class NoData(ValueError):
    """The figure has nothing to draw (the message says why, as the page would)."""


def has_values(fig: dict[str, Any]) -> bool:
    """Whether any series of a figure dict has a value to draw."""
    return any(v is not None for tr in fig.get("data", []) for v in tr.get("y", []))


def _axis_key(ref: str) -> str:
    """'x' -> 'xaxis', 'y2' -> 'yaxis2'."""
    return f"{ref[0]}axis{ref[1:]}"


def _title(axis: dict[str, Any]) -> str:
    title = axis.get("title", "")
    return str(title.get("text", "") if isinstance(title, dict) else title or "")


def _numbers(seq: Sequence[Any]) -> list[float]:
    return [math.nan if v is None else float(v) for v in seq]


def _color(tr: dict[str, Any]) -> Any:
    for part in ("line", "marker"):
        c = (tr.get(part) or {}).get("color")
        if isinstance(c, str):
            return c
    return None


class _Drawing:
    def __init__(self, fig: dict[str, Any], mpl_figure: Any, width_in: float) -> None:
        self.layout: dict[str, Any] = fig.get("layout", {})
        # a series with no value (e.g. a half cell's retention) gets no axis of its own
        self.traces: list[dict[str, Any]] = [
            tr for tr in fig.get("data", []) if any(v is not None for v in tr.get("y", []))
        ]
        self.figure = mpl_figure
        self.width_in = width_in
        self.axes: dict[str, Any] = {}  # y ref -> matplotlib axes
        self.x_of: dict[str, str] = {}  # y ref -> x ref
        self.categories: dict[str, list[str]] = {}  # panel y ref -> bar categories
        self.series = 0
        self.panels = 0
        self.legend: dict[str, Any] = {}

    def axis(self, ref: str) -> dict[str, Any]:
        value = self.layout.get(_axis_key(ref), {})
        return value if isinstance(value, dict) else {}

    def panel_of(self, yref: str) -> str:
        """The y ref whose axes a trace on ``yref`` is drawn in (a twin's base)."""
        over = self.axis(yref).get("overlaying")
        return str(over) if over else yref

    def build_axes(self) -> None:
        yrefs: list[str] = []
        for tr in self.traces:
            y = str(tr.get("yaxis", "y"))
            if y not in yrefs:
                yrefs.append(y)
            self.x_of.setdefault(self.panel_of(y), str(tr.get("xaxis", "x")))
        panels = list(dict.fromkeys(self.panel_of(y) for y in yrefs))
        domains = {y: self.axis(y).get("domain", [0, 1]) for y in panels}
        panels.sort(key=lambda y: -float(domains[y][1]))  # top first
        spans = [max(0.1, float(domains[y][1]) - float(domains[y][0])) for y in panels]
        self.panels = len(panels)
        grid = self.figure.add_gridspec(len(panels), 1, height_ratios=spans)
        for k, y in enumerate(panels):
            ax = self.figure.add_subplot(grid[k, 0])
            self.axes[y] = ax
            self.style_axes(ax, self.x_of.get(y, "x"), y)
        for y in yrefs:
            if y not in self.axes:
                base = self.axes[self.panel_of(y)]
                twin = base.twinx()
                twin.spines["right"].set_visible(True)
                self.axes[y] = twin
                self.x_of[y] = self.x_of[self.panel_of(y)]
                self.style_axes(twin, None, y)

    def style_axes(self, ax: Any, xref: str | None, yref: str) -> None:
        ax.set_gid(f"axes-{yref}")
        for letter, ref in (("x", xref), ("y", yref)):
            if ref is None:
                continue
            spec = self.axis(ref)
            label = _title(spec)
            log = spec.get("type") == "log"
            getattr(ax, f"set_{letter}label")(label)
            if log:
                getattr(ax, f"set_{letter}scale")("log")
            rng = spec.get("range")
            if isinstance(rng, list) and len(rng) == 2 and None not in rng:
                lo, hi = (10 ** float(v) for v in rng) if log else (float(v) for v in rng)
                getattr(ax, f"set_{letter}lim")(lo, hi)
            if spec.get("autorange") == "reversed":
                getattr(ax, f"invert_{letter}axis")()
            if letter == "y" and spec.get("scaleanchor"):
                ax.set_aspect("equal", adjustable="datalim")

    def remember(self, name: str, artist: Any, tr: dict[str, Any]) -> None:
        if tr.get("showlegend") is False or not name or name in self.legend:
            return
        self.legend[name] = artist

    def positions(self, yref: str, xs: Sequence[Any]) -> list[float] | None:
        """Category positions of string x values on a panel with bars (else None)."""
        cats = self.categories.get(self.panel_of(yref))
        if cats is None or not xs or not all(isinstance(v, str) for v in xs):
            return None
        return [float(cats.index(v)) if v in cats else math.nan for v in xs]

    def draw(self) -> None:
        bars = [tr for tr in self.traces if tr.get("type") == "bar"]
        for tr in bars:
            panel = self.panel_of(str(tr.get("yaxis", "y")))
            cats = self.categories.setdefault(panel, [])
            for v in tr.get("x", []):
                if str(v) not in cats:
                    cats.append(str(v))
        for panel, cats in self.categories.items():
            self.axes[panel].set_xticks(range(len(cats)), cats)
        for k, tr in enumerate(bars):
            self.bar(tr, k, len(bars))
        for tr in self.traces:
            if tr.get("type", "scatter") == "scatter":
                self.scatter(tr)
        self.shapes()
        self.annotations()

    def scatter(self, tr: dict[str, Any]) -> None:
        yref = str(tr.get("yaxis", "y"))
        ax = self.axes[yref]
        xs = tr.get("x", [])
        x = self.positions(yref, xs)
        if x is None:
            x = xs if xs and all(isinstance(v, str) for v in xs) else _numbers(xs)
        y = _numbers(tr.get("y", []))
        if xs and all(isinstance(v, int) or v is None for v in xs):
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # cycles, sequences
        mode = str(tr.get("mode", "lines"))
        line, marker = tr.get("line") or {}, tr.get("marker") or {}
        kw: dict[str, Any] = {"color": _color(tr)}
        kw["linestyle"] = DASHES.get(str(line.get("dash", "solid")), "-") if "lines" in mode else ""
        if "markers" in mode:
            kw["marker"] = SYMBOLS.get(str(marker.get("symbol", "circle")), "o")
            kw["markersize"] = max(1.5, 0.55 * float(marker.get("size", 5)))
            kw["markeredgewidth"] = 0
        errors = (tr.get("error_y") or {}).get("array")
        name = str(tr.get("name", ""))
        if errors:
            artist = ax.errorbar(x, y, yerr=_numbers(errors), **kw)
            artist.lines[0].set_gid(f"series-{self.series}")
            handle = artist.lines[0]
        else:
            (handle,) = ax.plot(x, y, **kw)
            handle.set_gid(f"series-{self.series}")
        self.series += 1
        self.remember(name, handle, tr)

    def bar(self, tr: dict[str, Any], k: int, n: int) -> None:
        yref = str(tr.get("yaxis", "y"))
        ax = self.axes[yref]
        cats = self.categories[self.panel_of(yref)]
        width = 0.8 / n
        x = [cats.index(str(v)) + (k - (n - 1) / 2) * width for v in tr.get("x", [])]
        errors = (tr.get("error_y") or {}).get("array")
        color = (tr.get("marker") or {}).get("color")
        container = ax.bar(
            x,
            _numbers(tr.get("y", [])),
            width=width * 0.95,
            yerr=None if not errors else [0.0 if e is None else float(e) for e in errors],
            color=color,
            error_kw={"elinewidth": 0.6, "capthick": 0.6},
        )
        for j, patch in enumerate(container.patches):
            patch.set_gid(f"series-{self.series}-{j}")
        self.series += 1
        if container.patches:
            self.remember(str(tr.get("name", "")), container.patches[0], tr)

    def _coords(self, shape: dict[str, Any]) -> tuple[Any, str, str]:
        xref, yref = str(shape.get("xref", "x")), str(shape.get("yref", "y"))
        base = yref if yref != "paper" else next(iter(self.axes))
        if yref == "paper" and xref != "paper":
            base = next((y for y, x in self.x_of.items() if x == xref), base)
        ax = self.axes.get(base, next(iter(self.axes.values())))
        return (
            ax,
            "axes fraction" if xref == "paper" else "data",
            "axes fraction" if yref == "paper" else "data",
        )

    def shapes(self) -> None:
        for s in self.layout.get("shapes", []) or []:
            if s.get("type") != "line":
                continue
            ax, xc, yc = self._coords(s)
            line = s.get("line") or {}
            kw = {
                "color": line.get("color", "#555555"),
                "linestyle": DASHES.get(str(line.get("dash", "solid")), "-"),
                "linewidth": 0.6,
            }
            x0, x1, y0, y1 = (float(s.get(k, 0)) for k in ("x0", "x1", "y0", "y1"))
            if xc == "data" and yc != "data" and x0 == x1:
                ax.axvline(x0, ymin=y0, ymax=y1, **kw)
            elif yc == "data" and xc != "data" and y0 == y1:
                ax.axhline(y0, xmin=x0, xmax=x1, **kw)
            elif xc == yc == "data":
                ax.plot([x0, x1], [y0, y1], **kw)

    def annotations(self) -> None:
        for a in self.layout.get("annotations", []) or []:
            ax, xc, yc = self._coords(a)
            ax.annotate(
                str(a.get("text", "")),
                xy=(float(a.get("x", 0)), float(a.get("y", 0))),
                xycoords=(xc, yc),
                ha={"left": "left", "right": "right"}.get(str(a.get("xanchor")), "center"),
                va="top",
                fontsize=STYLE["legend.fontsize"],
                color=(a.get("font") or {}).get("color", "black"),
            )

    def add_legend(self) -> int:
        """The legend below the axes, in as many columns as the longest label lets fit."""
        if len(self.legend) < 2 and not any(tr.get("showlegend") for tr in self.traces):
            return 0
        size = float(STYLE["legend.fontsize"])
        longest = max((len(n) for n in self.legend), default=0)
        # an entry: the handle (~2.2 em), the gap and the label (~0.6 em per character)
        entry_in = (size * (0.6 * longest + 3.5)) / 72.0
        columns = max(1, min(4, len(self.legend), int(self.width_in * 0.95 // entry_in)))
        self.figure.legend(
            list(self.legend.values()),
            list(self.legend),
            loc="outside lower center",
            ncols=columns,
        )
        return math.ceil(len(self.legend) / columns)


def _draw(fig: dict[str, Any], fmt: str, width: str) -> bytes:
    import matplotlib
    from matplotlib.figure import Figure

    width_in = width_mm(width) / MM_PER_INCH
    with matplotlib.rc_context(STYLE):
        mpl_figure = Figure(figsize=(width_in, width_in * ASPECT), layout="constrained")
        drawing = _Drawing(fig, mpl_figure, width_in)
        drawing.build_axes()
        axes_height = width_in * ASPECT * (1.0 if drawing.panels <= 1 else 1.35)
        mpl_figure.set_size_inches(width_in, axes_height)
        drawing.draw()
        rows = drawing.add_legend()
        if rows:
            mpl_figure.set_size_inches(width_in, axes_height + 0.13 * rows + 0.05)
        out = io.BytesIO()
        mpl_figure.savefig(out, format=fmt, metadata=METADATA[fmt])
    return out.getvalue()


def cache_key(fig: dict[str, Any], fmt: str, width: str) -> str:
    """The content hash of a figure file's inputs: the figure dict (the stored values it
    shows), the format, the width, the style and the code that draws it."""
    import matplotlib

    text = json.dumps(
        {
            "figure": fig,
            "fmt": fmt,
            "width": width,
            "style": STYLE,
            "matplotlib": matplotlib.__version__,
            "renderer": RENDERER_VERSION,
        },
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return "labdb-figure-" + hashlib.sha256(text.encode()).hexdigest()


def figure_file(fig: dict[str, Any], fmt: str, width: str = "single") -> bytes:
    """The ``fmt`` ("svg" or "pdf") file of a figure dict at a journal column ``width``
    ("single" 85 mm, "double" 175 mm); drawn once per content hash of its inputs (cached)."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    width_mm(width)  # a clear error for a wrong width
    if not has_values(fig):
        raise NoData(str(fig.get("empty") or "No data for this figure yet."))
    key = cache_key(fig, fmt, width)
    cached = cache.get(key)
    if isinstance(cached, bytes):
        return cached
    data = _draw(fig, fmt, width)
    cache.set(key, data, CACHE_SECONDS)
    return data
