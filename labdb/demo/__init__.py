"""Everything about the demo study: the catalog of Oh, Sohn & Choi, EES Batteries 2025, 1,
566-575, and its simulated raw files, loaded by ``python manage.py demo``.

- :mod:`labdb.demo.catalog`: the records (materials, lots, formulations, batches, cells,
  instruments, protocols) and the demo/demo user: :func:`demo_load`;
- :mod:`labdb.demo.files`: the simulated instrument files (written by :mod:`analysis.simulate`,
  which never imports Django) registered on their test runs:
  :func:`~labdb.demo.files.demo_data_load`.

Both are idempotent: loading the study again changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labdb import models as m
from labdb.demo.catalog import PROJECT_LABEL, demo_load

if TYPE_CHECKING:
    from labdb.services.ingest import Registered

__all__ = ["PROJECT_LABEL", "demo_load", "demo_study"]


def demo_study(*, with_files: bool = True) -> tuple[m.Project, list[Registered]]:
    """Load the demo study: the catalog and the demo/demo user, then (``with_files``) the
    simulated raw files, registered as the demo user; returns the project and the files."""
    project = demo_load()
    if not with_files:
        return project, []
    from django.contrib.auth import get_user_model

    from labdb.demo.files import demo_data_load  # the simulator: numpy and pandas, on demand

    user = get_user_model().objects.filter(username="demo").first()
    return project, demo_data_load(project=project, user=user)
