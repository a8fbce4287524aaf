"""Pause Python's cyclic garbage collector while a request builds many objects at once.

/compare/ and ``/api/v1/statistics/`` over a decade of a lab build about 225,000 container
objects per request (10,000 cells, their infos, headline numbers and main results, rows of
tuples). Every 700 new containers start a collection, and every 100th of those traverses the
whole heap (Django, the app, everything the request holds): on the 10,000 cells of
bench/scale.py that was 0.4-0.5 s of the 0.9-1.0 s of CPU a request took. The request's objects
are freed by reference counting as usual; only garbage in cycles waits for the first
collection after the request. The collector is
process-wide: another thread's request in the same process runs without it meanwhile, which
changes its speed, not its results.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (reference counting as usual)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def gc_paused_view(view: F) -> F:
    """A view run under :func:`gc_paused`."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with gc_paused():
            return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
