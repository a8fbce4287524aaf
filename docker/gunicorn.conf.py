"""gunicorn settings for the labdb container (``gunicorn -c docker/gunicorn.conf.py labdb.wsgi``).

Tune with environment variables: ``WEB_CONCURRENCY`` (processes, default 3),
``GUNICORN_THREADS`` (threads per process, default 4), ``GUNICORN_TIMEOUT`` (seconds, default
120) and ``FORWARDED_ALLOW_IPS`` (who may set X-Forwarded-Proto, default ``*``: the port is
published on 127.0.0.1 only, for the reverse proxy on the same host).
"""

import os

bind = "0.0.0.0:8000"
# Threaded workers: a slow client (a large raw-file upload) occupies a thread, not a process,
# and does not trip the worker timeout. Each process loads numpy/pandas (~150 MB).
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or 3)
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 120)
graceful_timeout = 30
keepalive = 5
# Recycle processes now and then to bound memory growth.
max_requests = 1000
max_requests_jitter = 100
# Heartbeat files on tmpfs, not on the container's overlay filesystem.
worker_tmp_dir = "/dev/shm"
# Trust X-Forwarded-Proto from the reverse proxy so that Django builds https:// URLs.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LABDB_LOG_LEVEL", "info").lower()
