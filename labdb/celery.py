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
    """Import the pipelines (scipy and the science) and run them once on small files in the
    worker's parent process (:mod:`analysis.warmup`): the pool's children, and each job's child
    forked from them, inherit that instead of doing it again in every job."""
    from analysis.pipelines import preload
    from analysis.warmup import warm

    preload()
    logging.getLogger("labdb").info("analysis code warmed in %.1f s", warm())
