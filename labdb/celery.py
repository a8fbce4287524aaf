"""The Celery application. Configuration comes from Django settings (``CELERY_*``)."""

import logging
import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labdb.settings")

app = Celery("labdb")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["labdb"])


@worker_init.connect
def _keep_freed_memory(**_: object) -> None:
    """Workers reuse freed large blocks (see :mod:`analysis.runtime`); the pool's children are
    forked from this process and inherit the setting. ``LABDB_WORKER_KEEP_MEMORY=0`` turns it
    off."""
    from django.conf import settings

    from analysis.runtime import keep_freed_memory

    if settings.LABDB_WORKER_KEEP_MEMORY:
        taken = keep_freed_memory()
        logging.getLogger("labdb").info("malloc keeps freed large blocks: %s", taken)


@worker_init.connect
def _preload_analyses(**_: object) -> None:
    """Import the pipelines (scipy and the science) once in the worker's parent process: the
    pool's children inherit them instead of importing them during their first job."""
    from analysis.pipelines import preload

    preload()
