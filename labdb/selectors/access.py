"""Project-scoped access: a user sees only the records of projects they belong to.

Another project's record is indistinguishable from a missing one (404), so that labels of other
groups' samples do not leak.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from labdb.models import Project

M = TypeVar("M", bound=Model)

User = AbstractBaseUser | AnonymousUser


def projects_for(user: User) -> QuerySet[Project]:
    """The projects ``user`` is a member of (none for anonymous users)."""
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(memberships__user=user)


def colleagues_of(user: User) -> QuerySet[Any]:
    """Users who share a project with ``user`` (the choices for an operator field)."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(memberships__project__in=projects_for(user))
        .distinct()
        .order_by("username")
    )


#: How records without a project field of their own reach their project.
PROJECT_PATHS: dict[str, str] = {
    "analysisresult": "test_run__project",
    "cycleresult": "result__test_run__project",
    "parsedtable": "data_file__project",
    "formulationcomponent": "formulation__project",
    "processstep": "batch__project",
}


def visible(model: type[M], user: User) -> QuerySet[M]:
    """All records of ``model`` that ``user`` may see."""
    if not user.is_authenticated:
        return model._default_manager.none()
    if model is Project:
        return projects_for(user)  # type: ignore[return-value]
    path = PROJECT_PATHS.get(model._meta.model_name or "", "project")
    return model._default_manager.filter(**{f"{path}__memberships__user": user})


def lookup_q(key: str) -> Q:
    """Match a record by its UUID or its label."""
    try:
        return Q(pk=uuid.UUID(str(key)))
    except ValueError:
        return Q(label=key)


class AmbiguousLabel(Exception):
    """A label that names records in several of the user's projects (labels are unique per
    project only): the caller must use the UUID. The web answers with a message and the search
    for the label; the API with 400 naming the field."""

    def __init__(self, model: type[Model], key: str, projects: list[str]) -> None:
        self.model, self.key, self.projects = model, key, projects
        super().__init__(
            f"the label {key!r} names a {model._meta.verbose_name} in {len(projects)} of your "
            f"projects ({', '.join(projects)}): use its UUID"
        )


def one_by_key(qs: QuerySet[M], key: str, extra: Q | None = None) -> M | None:
    """The record of ``qs`` with UUID or label ``key`` (or matching ``extra``), None if there is
    none; :class:`AmbiguousLabel` if the matches lie in more than one project."""
    q = lookup_q(key) if extra is None else lookup_q(key) | extra
    has_label = any(f.name == "label" for f in qs.model._meta.fields)
    matches = list(qs.filter(q).order_by("label" if has_label else "pk")[:50])
    if not matches:
        return None
    projects = {getattr(obj, "project_id", obj.pk) for obj in matches}
    if len(projects) > 1:
        labels = Project.objects.filter(pk__in=projects).order_by("label")
        names = [p.label for p in labels] or [str(p) for p in projects]
        raise AmbiguousLabel(qs.model, key, names)
    return matches[0]


def get_visible(model: type[M], user: User, key: str) -> M:
    """The record of ``model`` with UUID or label ``key`` if ``user`` may see it, else 404
    (:class:`AmbiguousLabel` if the label names one in several of the user's projects)."""
    obj = one_by_key(visible(model, user), key)
    if obj is None:
        raise Http404(f"no {model._meta.verbose_name} {key!r}")
    return obj
