"""``python manage.py create_token --user USER --scope SCOPE [--instrument NAME]
[--expires-days N] [--name NAME]``: make an API key; the key alone is the last line printed (the
only time it is shown)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from labdb import models as m
from labdb.selectors.access import lookup_q
from labdb.services.tokens import token_create


class Command(BaseCommand):
    help = "Create an API token; prints the key (once) on the last line."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--user", required=True, help="user name the token acts as")
        parser.add_argument("--scope", required=True, choices=list(m.ApiToken.Scope.values))
        parser.add_argument("--instrument", default=None, help="instrument label or UUID")
        parser.add_argument("--expires-days", type=int, default=None)
        parser.add_argument("--name", default=None, help="what the token is for")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user {options['user']!r}")
        instrument = None
        if options["instrument"]:
            instrument = m.Instrument.objects.filter(lookup_q(options["instrument"])).first()
            if instrument is None:
                raise CommandError(f"no instrument {options['instrument']!r}")
        days = options["expires_days"]
        if days is not None and days <= 0:
            raise CommandError("--expires-days must be a positive number of days")
        name = options["name"] or (
            f"{instrument.label} ({options['scope']})"
            if instrument
            else f"{options['scope']} token"
        )
        try:
            new = token_create(
                user=user,
                name=name,
                scope=options["scope"],
                instrument=instrument,
                expires_in=dt.timedelta(days=days) if days else None,
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from exc
        token = new.token
        expires = token.expires_at.isoformat() if token.expires_at else "never"
        self.stdout.write(
            f"token {token.prefix}… for {user} scope={token.scope} "
            f"instrument={instrument.label if instrument else '-'} expires={expires}"
        )
        self.stdout.write(new.key)
