"""The site navigation in a real browser: on a 390 px phone it folds behind "Menu" (the page
starts with its content, not with four lines of links) and opens from the button, mouse or
keyboard; on a 1366x768 laptop every link shows and there is no button."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from tests.e2e.conftest import Pages
from tests.e2e.test_day_pages import sized_tab

__all__ = ["sized_tab"]  # the fixture, one tab per viewport

pytestmark = pytest.mark.django_db(transaction=True)


def test_navigation_folds_on_a_phone_and_shows_on_a_laptop(
    sized_tab: tuple[str, Pages], blobs: Any
) -> None:
    call_command("demo", "--catalog-only")
    size, tab = sized_tab
    tab.login()
    tab.go("/cells/")
    page = tab.page
    toggle = page.locator("button.nav-toggle")
    cells_link = page.locator("#site-nav a", has_text="Compare")
    if size == "laptop":
        assert not toggle.is_visible()
        assert cells_link.is_visible()
        return
    # phone: folded, the heading of the page is near the top
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not cells_link.is_visible()
    heading_top = page.locator("main h1").first.bounding_box()["y"]
    assert heading_top < 200, heading_top
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and cells_link.is_visible()
    toggle.press("Enter")  # and closed again from the keyboard
    assert toggle.get_attribute("aria-expanded") == "false" and not cells_link.is_visible()
    toggle.press("Enter")
    cells_link.click()
    page.wait_for_url(tab.base + "/compare/")
