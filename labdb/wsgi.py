"""WSGI entry point (gunicorn labdb.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labdb.settings")
application = get_wsgi_application()

# Import the analyses (numpy, scipy, pandas, pyarrow) and the URL configuration when the worker
# starts, not during the first request a user makes.
import analysis.pipelines  # noqa: E402
import labdb.urls  # noqa: E402, F401

analysis.pipelines.preload()
