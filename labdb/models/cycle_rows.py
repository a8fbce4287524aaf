"""Which per-cycle rows (:class:`~labdb.models.CycleResult`) belong to a result.

The versions of a growing file are analysed one from the other, and from one version to the
next most per-cycle rows stay the same: only the new cycles, the last one that was still
running and the few whose values a new cycle moves differ. So the results of such a chain form
a **lineage** (``AnalysisResult.cycles_lineage``: its first result; ``cycles_seq``: the place
in it, 0, 1, 2 ...) and share their rows: a result writes a row only for each cycle whose row
differs from its predecessor's, and an ``absent`` row for each cycle its predecessor had and it
has not. Every row stays as written (immutable) and keeps the result that computed it.

**The rule.** The rows of a result at place ``s`` of lineage ``L`` are, for each cycle, the row
of ``L`` of that cycle with the largest ``since`` not after ``s``, unless that row is an
``absent`` one. A lineage does not branch: one result per place (a unique constraint), and a
result continues its predecessor only where that place is free
(``labdb.services.results._create_in_lineage``; otherwise it starts a lineage of its own). So the rows of ``L`` up to ``s`` were all
written by the results before it in its own chain. Results stored without a lineage own their
rows (``CycleResult.result``).

One rule, two forms, tested equal (``tests/labdb/test_cycle_rows.py``): a query
(:meth:`CycleResultQuerySet.of_result`: ``NOT EXISTS`` a later row up to ``s``, on the index
``(lineage, cycle, since)``) that callers filter, order and page further; and a resolution in
Python for many results at once (:func:`rows_of_results`: one query per batch of lineages).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from django.apps import apps
from django.db.models import Exists, OuterRef

from labdb.lookups import Many
from labdb.models.immutable import ImmutableQuerySet


class Placed(Protocol):
    """An AnalysisResult as these queries see it: its key and its place in a lineage (this
    module is imported by the models' module, so it does not import it)."""

    pk: Any
    cycles_lineage_id: Any
    cycles_seq: int | None


#: results per query of :func:`rows_of_results` (as many as the cell summaries ask for at once:
#: ``__any_of`` passes them as one parameter)
CHUNK = 5000


class CycleResultQuerySet(ImmutableQuerySet):
    """CycleResult rows, with the rows valid for a result (:meth:`of_result`)."""

    def of_result(self, result: Placed) -> CycleResultQuerySet:
        """The per-cycle rows of ``result`` (the module's rule), as a query to filter further;
        ordered by the model's order unless the caller orders it."""
        lineage, seq = result.cycles_lineage_id, result.cycles_seq
        if lineage is None or seq is None:
            return self.filter(result_id=result.pk)
        later = self.model._default_manager.using(self.db).filter(
            lineage_id=lineage, cycle=OuterRef("cycle"), since__gt=OuterRef("since"), since__lte=seq
        )
        return self.filter(lineage_id=lineage, since__lte=seq, absent=False).filter(~Exists(later))


def rows_of_results(
    result_ids: Iterable[Any], fields: Sequence[str], **filters: Any
) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """(result pk, the values of ``fields``) of every per-cycle row of each of the results
    ``result_ids`` (the module's rule), the rows further filtered by ``filters`` on their
    cycle (``cycle``, ``cycle__gte``, ...: such a filter keeps or drops all the rows of a
    cycle alike, so it does not change which one is valid). In no particular order; per
    :data:`CHUNK` results a query for their places, one for the rows of those without a
    lineage and one for the rows of the lineages, read in the order of their index."""
    results = apps.get_model("labdb", "AnalysisResult").objects.order_by()
    rows = apps.get_model("labdb", "CycleResult").objects.order_by()
    ids = list(dict.fromkeys(result_ids))
    for start in range(0, len(ids), CHUNK):
        own: list[Any] = []
        places: dict[Any, list[tuple[int, Any]]] = {}  # lineage -> (place, result pk)
        for pk, lineage, seq in results.filter(
            pk__any_of=Many(ids[start : start + CHUNK])
        ).values_list("pk", "cycles_lineage_id", "cycles_seq"):
            if lineage is None or seq is None:
                own.append(pk)
            else:
                places.setdefault(lineage, []).append((seq, pk))
        if own:
            for result_id, *values in rows.filter(
                result_id__any_of=Many(own), **filters
            ).values_list("result_id", *fields):
                yield result_id, tuple(values)
        if not places:
            continue
        # in the order of the index (lineage, cycle, since): each cycle's rows one after the
        # other, the earliest first
        cycle_rows: list[tuple[int, Any, tuple[Any, ...]]] = []
        key = None
        for lineage, cycle, since, absent, *values in (
            rows.filter(lineage_id__any_of=Many(list(places)), **filters)
            .order_by("lineage_id", "cycle", "since")
            .values_list("lineage_id", "cycle", "since", "absent", *fields)
        ):
            if (lineage, cycle) != key:
                if key is not None:
                    yield from _valid(cycle_rows, places[key[0]])
                key, cycle_rows = (lineage, cycle), []
            cycle_rows.append((since, absent, tuple(values)))
        if key is not None:
            yield from _valid(cycle_rows, places[key[0]])


def _valid(
    cycle_rows: list[tuple[int, Any, tuple[Any, ...]]], places: list[tuple[int, Any]]
) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """(result pk, values) of one cycle's row valid at each of ``places`` (place, result pk)
    of its lineage, from that cycle's rows (since, absent, values) in the order of ``since``:
    the last one not after the place, unless it is an absent row."""
    for seq, pk in places:
        valid = None
        for since, absent, values in cycle_rows:
            if since > seq:
                break
            valid = None if absent else values
        if valid is not None:
            yield pk, valid
