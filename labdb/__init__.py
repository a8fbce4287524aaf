"""labdb: the Django side (catalog, test runs, files, jobs, provenance, web and API)."""

from labdb.celery import app as celery_app

__all__ = ["celery_app"]
