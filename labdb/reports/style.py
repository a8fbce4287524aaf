"""One style for every paper-ready figure: journal column widths, fonts, line weights.

Widths (journals' columns are 8.3-9 cm and 17-19 cm wide, e.g. RSC 8.3/17.1 cm, ACS
8.25/17.78 cm)
    single column: :data:`SINGLE_COLUMN_MM` = 85 mm; double column: :data:`DOUBLE_COLUMN_MM`
    = 175 mm. Heights are the width times :data:`ASPECT` (a panel of a two-panel-wide figure
    fits one column), plus the legend below the axes.
Fonts
    DejaVu Sans, the font matplotlib ships (the same glyphs on every machine, so a figure's bytes
    depend only on its data), 7 pt labels and 6 pt ticks and legend: journals ask for 5-8 pt at
    the printed size, and the figure is drawn at that size (no scaling on the page).
Embedding
    PDF: ``pdf.fonttype = 42``: the fonts are embedded as TrueType (Type 42) subsets, so the
    text stays text (selectable, searchable, editable in Illustrator/Inkscape), which journals
    require instead of Type 3 bitmaps-as-procedures. SVG: ``svg.fonttype = "path"``: SVG cannot
    carry a font inside the file, and with ``"none"`` the text would be drawn in whatever font
    the viewer has (different widths, a legend running over the axes); glyphs as outlines look
    the same in every browser, in Inkscape and in the HTML/PDF report. The editable copy is the
    PDF.
Reproducible bytes
    no creation date in the PDF, a fixed SVG id salt: the same stored results give the same file
    (the cache key and the data package's checksums depend on that).
"""

from __future__ import annotations

from typing import Any

SINGLE_COLUMN_MM = 85.0
DOUBLE_COLUMN_MM = 175.0
#: width name (the ``width`` query parameter) -> millimetres
WIDTHS_MM = {"single": SINGLE_COLUMN_MM, "double": DOUBLE_COLUMN_MM}
#: axes height / figure width
ASPECT = 0.62
MM_PER_INCH = 25.4

#: matplotlib rcParams of every figure (applied with ``matplotlib.rc_context``)
STYLE: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 7.0,
    "axes.titlesize": 7.0,
    "axes.labelsize": 7.0,
    "xtick.labelsize": 6.0,
    "ytick.labelsize": 6.0,
    "legend.fontsize": 6.0,
    "legend.frameon": False,
    "legend.handlelength": 2.2,
    "legend.columnspacing": 1.2,
    "axes.linewidth": 0.6,
    "lines.linewidth": 0.9,
    "lines.markersize": 2.5,
    "errorbar.capsize": 2.0,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": False,
    "ytick.right": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "axes.unicode_minus": True,
    "mathtext.default": "regular",
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "path",
    "svg.hashsalt": "labdb",
    "figure.dpi": 300,
    "savefig.dpi": 300,
    "figure.constrained_layout.use": True,
}

#: metadata written into every file: no dates, so that equal inputs give equal bytes
METADATA: dict[str, dict[str, Any]] = {
    "pdf": {"Creator": "labdb", "Producer": None, "CreationDate": None, "ModDate": None},
    "svg": {"Creator": "labdb", "Date": None},
}


def width_mm(name: str) -> float:
    """The width of ``name`` ("single" or "double") in millimetres; ValueError otherwise."""
    try:
        return WIDTHS_MM[name]
    except KeyError:
        raise ValueError(f"width {name!r}: use one of {', '.join(WIDTHS_MM)}") from None
