"""The two PostgreSQL roles of a deployment (docs/security.md, docker/README.md).

- The **owner** role owns the tables: migrations run as it (``DATABASE_OWNER_URL``,
  ``manage.py migrate --database owner``), nothing else does.
- The **app** role (``DATABASE_URL``) is what web and workers use: it may read and write rows
  (SELECT, INSERT, UPDATE, DELETE; the immutability triggers still refuse changes to raw data,
  results and history), but it owns nothing, is no superuser and holds no TRUNCATE privilege.
  So it cannot TRUNCATE, ``ALTER TABLE ... DISABLE TRIGGER``, ``DROP TRIGGER`` or set
  ``session_replication_role``: the bypasses of the triggers all need the owner or a superuser.

:func:`app_role_statements` is the one definition of the app role's rights; ``manage.py
db_roles`` applies or prints it, and the tests apply it to a throw-away role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

#: what the app role may do to every table and sequence (no TRUNCATE, REFERENCES, TRIGGER)
TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCE_PRIVILEGES = "USAGE, SELECT, UPDATE"


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple[str, ...] = ()


def role_name(name: str) -> str:
    """``name`` if it is a plain lower-case PostgreSQL identifier (no quoting needed)."""
    if not _ROLE_NAME.match(name):
        raise ValueError(f"{name!r} is not a plain role name (a-z, 0-9, _; at most 63)")
    return name


def app_role_statements(
    app: str, *, owner: str, database: str, password: str | None = None, create: bool = False
) -> list[Statement]:
    """SQL that makes ``app`` the app role of ``database`` whose tables ``owner`` owns and
    creates (run it as ``owner`` or a superuser, after or before the migrations: the default
    privileges cover tables that later migrations create)."""
    app, owner, database = role_name(app), role_name(owner), role_name(database)
    # new roles are NOSUPERUSER NOREPLICATION NOBYPASSRLS; only a superuser may even say so, and
    # ROLE_PROBLEMS_SQL (``db_roles --check``) refuses an app role that has them
    attributes = "LOGIN NOCREATEDB NOCREATEROLE"
    out = []
    if create:
        out.append(Statement(f"CREATE ROLE {app} {attributes}"))
    out.append(Statement(f"ALTER ROLE {app} WITH {attributes}"))
    if password:
        out.append(Statement(f"ALTER ROLE {app} WITH PASSWORD %s", (password,)))
    out += [
        Statement(f"REVOKE {owner} FROM {app}"),  # never a member of the owner role
        Statement(f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {app}"),
        Statement(f"GRANT USAGE ON SCHEMA public TO {app}"),
        Statement(f"REVOKE CREATE ON SCHEMA public FROM {app}"),
        Statement(f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO {app}"),
        Statement(f"GRANT {SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA public TO {app}"),
        Statement(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT {TABLE_PRIVILEGES} ON TABLES TO {app}"
        ),
        Statement(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT {SEQUENCE_PRIVILEGES} ON SEQUENCES TO {app}"
        ),
    ]
    return out


#: what a role must not be able to do for the triggers to hold (checked by ``db_roles --check``)
ROLE_PROBLEMS_SQL = """
SELECT 'is a superuser' FROM pg_roles WHERE rolname = current_user AND rolsuper
UNION ALL
SELECT 'may bypass row-level security' FROM pg_roles WHERE rolname = current_user AND rolbypassrls
UNION ALL
SELECT 'owns (or is a member of the owner of) ' || count(*) || ' labdb tables'
  FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'labdb_%'
   AND pg_has_role(current_user, tableowner, 'USAGE')
  HAVING count(*) > 0
UNION ALL
SELECT 'may TRUNCATE ' || count(*) || ' labdb tables'
  FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'labdb_%'
   AND has_table_privilege(current_user, quote_ident(tablename), 'TRUNCATE')
  HAVING count(*) > 0
"""
