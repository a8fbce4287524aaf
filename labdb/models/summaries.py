"""Each cell's headline numbers, kept in a table (:class:`CellSummary`) so that pages over all
cells (/compare/ over a decade's 10,000 cells) read one narrow row per cell instead of ranking
every result (docs/scale-out.md, "Sixth run").

A summary is a cache of :func:`labdb.selectors.cell_summary.live_cell_summaries`: database
triggers (migration 0032, on PostgreSQL and SQLite alike) mark a cell stale
(:class:`CellSummaryStale`) in the transaction of every write that can change its summary, and
:func:`labdb.services.cell_summaries.cell_summaries_refresh` recomputes the stale cells before
the table is read. Why triggers and not a refresh in each service: the inputs are editable
through the API, the admin, the web forms, ``QuerySet.update()``, ``bulk_create`` and raw SQL
(the bench's COPY); a trigger sees every one of them, a service hook only its own path.
"""

from __future__ import annotations

from django.db import models

from labdb.models.cells import Cell
from labdb.models.data import AnalysisResult, RunMetricColumns


class CellSummary(RunMetricColumns):
    """One cell's summary as the live query computes it (the rules are in
    :mod:`labdb.selectors.cell_summary`): its main cycling result with that result's metric
    columns (copied: results are immutable), the initial CE of its first formation run (used
    for full cells only, as :meth:`~labdb.selectors.headline.CellMetrics.take_main` does when
    reading), the RCT after each N cycles, and the main result's cumulative CE per cycle.

    The same for every user: the live query keeps the results of runs in the user's projects,
    and every run is in its cell's project (enforced by triggers of migration 0032), so a
    user who sees the cell sees all of its results."""

    cell = models.OneToOneField(
        Cell, primary_key=True, on_delete=models.CASCADE, related_name="summary"
    )
    main_result = models.ForeignKey(
        AnalysisResult, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    #: initial CE (fraction) of the cell's first formation run by label; None: none
    formation_ice = models.FloatField(null=True, blank=True)
    #: N (as text) -> RCT after N cycles (ohm cm2 when the fit has an area, else ohm; None:
    #: the EIS run has no fit)
    rct_after = models.JSONField(default=dict, blank=True)
    #: the main result's stored cumulative CE of cycle k at index k - 1 (None where the cycle
    #: has no row or no number): what the statistics read at the selection's common cycle
    cumulative_ce_by_cycle = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "cell summaries"

    def __str__(self) -> str:
        return f"summary of {self.cell_id}"


class CellSummaryStale(models.Model):
    """A cell whose summary must be recomputed before it is read, marked by the triggers of
    migration 0032 in the transaction of the write. No foreign key: a to-do list that a
    deleted cell must not block (the refresh skips cells that no longer exist)."""

    cell_id = models.UUIDField(primary_key=True)

    def __str__(self) -> str:
        return f"stale summary of {self.cell_id}"
