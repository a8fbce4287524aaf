"""Paper-ready output: vector figures in one journal style (:mod:`~labdb.reports.render`,
:mod:`~labdb.reports.style`), the study report as HTML and PDF (:mod:`~labdb.reports.study`,
:mod:`~labdb.reports.methods`, :mod:`~labdb.reports.statistics`,
:mod:`~labdb.reports.document`) and the publishable data package with DataCite metadata
(:mod:`~labdb.reports.package`, :mod:`~labdb.reports.datacite`).

Everything here reads stored records and results (through the pages' own figure builders and
the selectors); nothing computes a metric. See docs/reports.md.
"""
