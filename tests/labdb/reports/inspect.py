"""Reading figure files back: the SVG's axes and series (the ids the renderer gives them), the
PDF's page size, text and font dictionaries."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from pypdf import PdfReader

PT_PER_MM = 72 / 25.4
SVG_NS = "{http://www.w3.org/2000/svg}"


@dataclass
class SvgFigure:
    width_pt: float
    axes: list[str]
    series: set[int]


def read_svg(data: bytes) -> SvgFigure:
    root = ET.fromstring(data)  # raises on a file that is not well-formed XML
    assert root.tag == f"{SVG_NS}svg"
    width = root.attrib["width"]
    assert width.endswith("pt"), width
    ids = [el.attrib.get("id", "") for el in root.iter()]
    return SvgFigure(
        width_pt=float(width[:-2]),
        axes=[i for i in ids if i.startswith("axes-")],
        series={int(m.group(1)) for i in ids if (m := re.match(r"series-(\d+)", i))},
    )


@dataclass
class PdfFonts:
    names: list[str]
    embedded: list[bool]
    subtypes: list[str]


def pdf_fonts(reader: PdfReader) -> PdfFonts:
    """Every font of every page: its name, whether its program is embedded (FontFile,
    FontFile2 or FontFile3 in its descriptor, or its descendant's) and its subtype."""
    names, embedded, subtypes = [], [], []
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font")
        stack = [fonts.get_object()] if fonts else []
        # fonts used by form XObjects (WeasyPrint draws SVG images as XObjects)
        xobjects = page["/Resources"].get_object().get("/XObject")
        todo = [x.get_object() for x in (xobjects.get_object().values() if xobjects else [])]
        while todo:
            x = todo.pop()
            res = x.get("/Resources")
            if res is None:
                continue
            res = res.get_object()
            if res.get("/Font"):
                stack.append(res["/Font"].get_object())
            if res.get("/XObject"):
                todo.extend(v.get_object() for v in res["/XObject"].get_object().values())
        for table in stack:
            for ref in table.values():
                font = ref.get_object()
                subtypes.append(str(font["/Subtype"]))
                names.append(str(font.get("/BaseFont", "")))
                descriptor = font.get("/FontDescriptor")
                if descriptor is None and "/DescendantFonts" in font:
                    descendant = font["/DescendantFonts"][0].get_object()
                    descriptor = descendant.get("/FontDescriptor")
                d = descriptor.get_object() if descriptor is not None else {}
                embedded.append(any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3")))
    return PdfFonts(names, embedded, subtypes)


def read_pdf(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-"), data[:16]
    return PdfReader(io.BytesIO(data), strict=True)
