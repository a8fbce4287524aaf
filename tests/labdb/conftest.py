from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from labdb import models as m
from labdb.demo import demo_load


@pytest.fixture
def demo(db: Any) -> m.Project:
    """The demo study's catalog, with the demo user as a member."""
    return demo_load()


@pytest.fixture
def demo_user(demo: m.Project) -> Any:
    return get_user_model().objects.get(username="demo")


@pytest.fixture
def client_demo(demo_user: Any) -> Client:
    client = Client()
    client.force_login(demo_user)
    return client


@pytest.fixture
def outsider(db: Any) -> Any:
    """A user of another project, with a record of their own."""
    user = get_user_model().objects.create_user("outsider", password="pw-outsider-123")
    project = m.Project.objects.create(label="other-group", name="Another group's study")
    m.Membership.objects.create(project=project, user=user)
    m.Material.objects.create(
        project=project, label="Secret-Si", category="seed_metal", name="Si", formula="Si"
    )
    return user
