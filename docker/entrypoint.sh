#!/bin/sh
# labdb container entrypoint.
#   migrate wait for the database, apply migrations as the owner role (DATABASE_OWNER_URL), then
#           create or update the app's role of DATABASE_URL (rows only, owns nothing)
#   web     wait for the database, apply migrations (LABDB_MIGRATE=1), run gunicorn
#   worker  wait for the database, run a Celery worker (LABDB_WORKER_CONCURRENCY processes)
#   beat    run Celery beat
#   other   run it as given, e.g. `python manage.py createsuperuser`
set -eu

is_true() {
    case "$(printf '%s' "${1:-}" | tr '[:upper:]' '[:lower:]')" in
        1 | true | yes | on) return 0 ;;
        *) return 1 ;;
    esac
}

require_secret_key() {
    # settings.py refuses DEBUG off without a key too; this says what to do about it.
    if [ -z "${DJANGO_SECRET_KEY:-}" ] && ! is_true "${DJANGO_DEBUG:-}"; then
        echo "labdb: DJANGO_SECRET_KEY is not set. Put a long random value in docker/.env" >&2
        echo "labdb: (see docker/README.md), e.g. the output of: openssl rand -hex 32" >&2
        exit 78
    fi
}

wait_for_db() {
    # depends_on/service_healthy covers `docker compose up`; this also covers `run` and restarts.
    [ -n "${DATABASE_URL:-}" ] || return 0
    python - <<'PY'
import os
import sys
import time

import django

django.setup()
from django.db import connections
from django.db.utils import OperationalError

connection = connections[os.environ.get("LABDB_WAIT_DATABASE", "default")]
deadline = time.monotonic() + int(os.environ.get("LABDB_DB_WAIT_SECONDS", "60"))
while True:
    try:
        connection.ensure_connection()
        break
    except OperationalError as exc:
        if time.monotonic() > deadline:
            sys.exit(f"labdb: the database is not reachable: {exc}")
        print("labdb: waiting for the database ...", file=sys.stderr, flush=True)
        time.sleep(2)
connection.close()
PY
}

migrate_as_owner() {
    if [ -z "${DATABASE_OWNER_URL:-}" ]; then
        python manage.py migrate --noinput
        return
    fi
    LABDB_WAIT_DATABASE=owner wait_for_db
    python manage.py migrate --database owner --noinput
    python manage.py db_roles --database owner --apply
}

[ "$#" -gt 0 ] || set -- web
case "$1" in
    migrate)
        shift
        require_secret_key
        [ -n "${DATABASE_OWNER_URL:-}" ] || echo "labdb: no DATABASE_OWNER_URL: migrating as the app's role" >&2
        migrate_as_owner
        ;;
    web)
        shift
        require_secret_key
        wait_for_db
        if is_true "${LABDB_MIGRATE:-1}"; then
            migrate_as_owner
        fi
        exec gunicorn --config /app/docker/gunicorn.conf.py labdb.wsgi "$@"
        ;;
    worker)
        shift
        require_secret_key
        wait_for_db
        exec celery -A labdb worker \
            --loglevel="${LABDB_LOG_LEVEL:-INFO}" \
            --concurrency="${LABDB_WORKER_CONCURRENCY:-2}" \
            --max-tasks-per-child="${LABDB_WORKER_MAX_TASKS_PER_CHILD:-100}" \
            ${LABDB_WORKER_QUEUES:+-Q "$LABDB_WORKER_QUEUES"} \
            "$@"
        ;;
    beat)
        shift
        require_secret_key
        # The schedule lives in settings (CELERY_BEAT_SCHEDULE); the state file is disposable.
        exec celery -A labdb beat \
            --loglevel="${LABDB_LOG_LEVEL:-INFO}" \
            --schedule=/tmp/celerybeat-schedule \
            "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
