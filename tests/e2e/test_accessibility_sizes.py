"""axe-core on every main page (tests/e2e/test_accessibility.py's list) at the two sizes the
issue names, a 1366x768 laptop and a 390 px phone: no serious or critical violation and no
sideways scrolling of the page. On a phone wide tables scroll inside their box, so the box
must be reachable from the keyboard (axe's scrollable-region-focusable; static/labdb/scroll.js).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Pages
from tests.e2e.test_accessibility import axe_serious, pages
from tests.e2e.test_day_pages import analysed_run, sized_tab
from tests.e2e.test_forms_in_page import no_sideways_scroll

__all__ = ["sized_tab"]  # the fixture, one tab per viewport

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_main_page_passes_axe_at_both_sizes(sized_tab: tuple[str, Pages], blobs: Any) -> None:
    from labdb.demo import demo_load

    size, tab = sized_tab
    demo_load()
    analysed_run("MgAgSn-E-HC2", 1.3)  # flags, accept forms, files table
    tab.login()
    problems: dict[str, list[str]] = {}
    wide: list[str] = []
    for path in pages():
        tab.go(path)
        problems[path] = axe_serious(tab)
        try:
            no_sideways_scroll(tab)
        except AssertionError as exc:
            wide.append(f"{path}: {exc}")
    found = {p: v for p, v in problems.items() if v}
    assert found == {}, f"{size}:\n" + "\n".join(
        f"{p}: {line}" for p, v in found.items() for line in v
    )
    assert wide == [], f"{size}: " + "\n".join(wide)
