"""Downloads of provenance from the pages: the RO-Crate (.eln) and the PROV document (PROV-JSON
or PROV-N) of one cell or of a selection of cells (the comparison page's cells, or a saved
comparison). The same builders as the API and ``manage.py exports`` (labdb/exports)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse

from labdb import models as m
from labdb.selectors import results as sel
from labdb.selectors.access import get_visible
from labdb.web.saved import saved_cells, saved_comparison

#: download format -> (PROV serialisation, content type, file suffix)
PROV_FORMATS = {
    "prov.json": ("prov-json", "application/json", "prov.json"),
    "prov.provn": ("prov-n", "text/provenance-notation; charset=utf-8", "provn"),
}


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "labdb-export"


def export_response(cells: Sequence[m.Cell], fmt: str, name: str) -> HttpResponse:
    """The download of ``cells`` in ``fmt`` (``crate.eln``, ``prov.json`` or ``prov.provn``)."""
    if not cells:
        raise Http404("no cells to export")
    stem = _file_stem(name)
    if fmt == "crate.eln":
        from labdb.exports.crate import CrateDownload

        download = CrateDownload(list(cells), f"{stem}.eln")
        return FileResponse(
            download,
            as_attachment=True,
            filename=download.path.name,
            content_type="application/zip",
        )
    if fmt in PROV_FORMATS:
        from labdb.exports.prov import provenance_document, serialize

        kind, content_type, suffix = PROV_FORMATS[fmt]
        doc = provenance_document(cells[0])
        for cell in cells[1:]:
            doc.update(provenance_document(cell))
        response = HttpResponse(serialize(doc.unified(), kind), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{stem}.{suffix}"'
        return response
    raise Http404(f"unknown export format {fmt!r}")


@login_required
def cell_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    cell = get_visible(m.Cell, request.user, key)
    return export_response([cell], fmt, cell.label)


@login_required
def selection_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The cells of a saved comparison (``saved``), or those the comparison page shows for the
    same query (``cells``, ``kind``, ``seed``, ``binder``). The RO-Crate of several cells
    (raw files and all) is built by an export job on the ``exports`` queue: this address asks
    for it and goes to its page."""
    if fmt == "crate.eln":
        from labdb.web.export_jobs import request_export

        return request_export(request, m.ExportJob.Kind.CRATE, request.GET)
    if request.GET.get("saved"):
        saved = saved_comparison(request.user, request.GET["saved"])
        if saved is None:
            raise Http404("no such saved comparison")
        return export_response(saved_cells(request.user, saved), fmt, saved.name)
    infos = sel.comparison_cells(
        request.user,
        labels=request.GET.getlist("cells"),
        kind=request.GET.get("kind", ""),
        seed=request.GET.get("seed", ""),
        binder=request.GET.get("binder", ""),
    )
    cells = [i.cell for i in infos]
    return export_response(cells, fmt, f"comparison-{len(cells)}-cells")
