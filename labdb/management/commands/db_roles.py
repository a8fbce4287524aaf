"""``python manage.py db_roles``: set up or check the app's PostgreSQL role (labdb.db_roles).

manage.py db_roles --database owner --apply   # as the owner: create/update the app role
manage.py db_roles --print                    # the SQL, to run by hand
manage.py db_roles --check                    # exit 1 if the app role could bypass triggers
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from labdb.db_roles import ROLE_PROBLEMS_SQL, app_role_statements


class Command(BaseCommand):
    help = "Create or update the app's database role (no ownership, no TRUNCATE), or check it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--database", default="owner", help="connection to run it as")
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--apply", action="store_true", help="run the statements")
        what.add_argument("--print", action="store_true", help="print the statements")
        what.add_argument("--check", action="store_true", help="check the app role")

    def handle(self, *args: Any, **options: Any) -> None:
        app = settings.DATABASES["default"]
        if app.get("ENGINE") != "django.db.backends.postgresql":
            raise CommandError("database roles apply to PostgreSQL only (DATABASE_URL)")
        if options["check"]:
            self._check()
            return
        alias = options["database"]
        if alias not in settings.DATABASES:
            raise CommandError(f"no database {alias!r}: set DATABASE_OWNER_URL")
        owner = settings.DATABASES[alias]
        if owner["USER"] == app["USER"]:
            raise CommandError("DATABASE_URL and DATABASE_OWNER_URL name the same role")
        if not app.get("PASSWORD") and app.get("HOST") not in ("", "127.0.0.1", "localhost"):
            self.stderr.write("warning: DATABASE_URL has no password for the app's role")
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app["USER"]])
            exists = cursor.fetchone() is not None
        statements = app_role_statements(
            app["USER"],
            owner=owner["USER"],
            database=app["NAME"],
            password=app.get("PASSWORD") or None,
            create=not exists,
        )
        if options["print"]:
            for s in statements:
                self.stdout.write((s.sql % tuple("'…'" for _ in s.params)) + ";")
            return
        with connection.cursor() as cursor:
            for s in statements:
                cursor.execute(s.sql, list(s.params) or None)
        self.stdout.write(self.style.SUCCESS(f"app role {app['USER']} set up"))
        self._check()

    def _check(self) -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute(ROLE_PROBLEMS_SQL)
            problems = [row[0] for row in cursor.fetchall()]
        user = connections["default"].settings_dict["USER"]
        if problems:
            raise CommandError(f"the app's database role {user} " + "; ".join(problems))
        self.stdout.write(self.style.SUCCESS(f"the app's database role {user} owns nothing"))
