"""``/tokens/``: a person makes and revokes the API keys of their scripts and instruments.

A new key is shown once, on the page that answers the creation (never stored in clear, never
put in a URL or a session)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from labdb import models as m
from labdb.selectors.access import visible
from labdb.services.tokens import token_create, token_revoke


class TokenForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="what it is for, e.g. 'BCS-805 PC'")
    scope = forms.ChoiceField(choices=m.ApiToken.Scope.choices, initial=m.ApiToken.Scope.UPLOAD)
    instrument = forms.ModelChoiceField(
        queryset=m.Instrument.objects.none(),
        required=False,
        help_text="bind the key to one instrument (its runs and uploads only)",
    )
    expires_days = forms.IntegerField(
        min_value=1, max_value=3650, required=False, initial=365, help_text="empty: never"
    )

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["instrument"].queryset = visible(m.Instrument, user)  # type: ignore[attr-defined]


def _page(
    request: HttpRequest, form: TokenForm, new_key: str = "", status: int = 200
) -> HttpResponse:
    tokens = m.ApiToken.objects.filter(user=request.user).select_related("instrument")
    return render(
        request,
        "tokens/tokens.html",
        {"form": form, "tokens": tokens, "new_key": new_key},
        status=status,
    )


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, TokenForm(user=request.user))
    form = TokenForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    days = form.cleaned_data["expires_days"]
    try:
        new = token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            instrument=form.cleaned_data["instrument"],
            expires_in=dt.timedelta(days=days) if days else None,
            created_by=request.user,
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _page(request, form, status=400)
    response = _page(request, TokenForm(user=request.user), new_key=new.key)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke_view(request: HttpRequest, token_id: str) -> HttpResponse:
    """GET asks to confirm (what the token is, what revoking does); POST revokes."""
    token = m.ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise Http404("no such token")
    if request.method == "GET":
        return render(request, "tokens/revoke.html", {"token": token})
    token_revoke(token=token, user=request.user)
    messages.info(request, f"Token {token} revoked.")
    return redirect("tokens")
