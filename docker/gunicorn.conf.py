"""gunicorn settings for the labdb container (``gunicorn -c docker/gunicorn.conf.py labdb.wsgi``).

Tune with environment variables: ``WEB_CONCURRENCY`` (processes, default 3),
``GUNICORN_THREADS`` (threads per process, default 4), ``GUNICORN_TIMEOUT`` (seconds, default
120), ``GUNICORN_MAX_REQUESTS`` / ``GUNICORN_MAX_REQUESTS_JITTER`` (a process is replaced after
max_requests + randint(0, jitter) requests; default 1000 / 500) and ``FORWARDED_ALLOW_IPS``
(who may set X-Forwarded-Proto, default ``*``: the port is published on 127.0.0.1 only, for the
reverse proxy on the same host).
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
# Recycle processes now and then to bound memory growth, at different moments: the load is
# spread evenly, so two processes restart |j1 - j2| requests apart (j drawn in 0..jitter), on
# average jitter / 3. With a jitter of 100 that was 33 requests, both restarts within ~3 s
# under load (8.5 s stalls); with half of max_requests it is ~167 requests per process.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 1000)
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER") or max_requests // 2)
# Heartbeat files on tmpfs, not on the container's overlay filesystem.
worker_tmp_dir = "/dev/shm"
# Trust X-Forwarded-Proto from the reverse proxy so that Django builds https:// URLs.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LABDB_LOG_LEVEL", "info").lower()
