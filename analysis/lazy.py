"""pandas imported on first use, so that the command line can import it in a thread of its own.

``python -m analysis cycling FILE`` spends a fixed ~0.25 s of CPU importing pandas, and a few
tenths of a second in pyarrow's CSV parser, which runs on native threads with the GIL released.
The two overlap when nothing on the way to the parse needs pandas: ``analysis.__main__`` starts
the import in a thread (:func:`import_in_background`) while the main thread builds the parser,
imports the readers, detects the format and parses; the first pandas object the reader makes
after the parse waits for that import if it is not done yet.

Modules on that way (the command-line modules, the parameter classes, the pipeline registry,
every reader module, which detection imports) therefore name pandas through :data:`pandas`,
a stand-in whose first attribute read imports the real module; type checkers see the real one::

    if TYPE_CHECKING:
        import pandas as pd
    else:
        from analysis.lazy import pandas as pd

``tests/analysis/test_lazy_imports.py`` holds that path free of pandas. Elsewhere (the science,
which runs after the read) pandas is imported as usual.
"""

from __future__ import annotations

import gc
import importlib
import threading
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name`` and imports it on the first attribute read (thread-safe:
    the import system's per-module lock makes a second thread wait for the first's import)."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            module = importlib.import_module(self._name)
            self._module = module
        return getattr(module, attr)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<lazy module {self._name!r}, {state}>"


pandas = LazyModule("pandas")


def import_in_background(name: str, *, enable_gc: bool = False) -> threading.Thread:
    """Import the module ``name`` in a daemon thread, started here; join it before the process
    exits other than by ``os._exit`` (an interpreter shut down mid-import may fail).

    Only for a third-party package whose imports never come back into ``analysis`` (pandas):
    two threads importing one group of modules in different orders can meet in a deadlock that
    the import system breaks with an ImportError. ``enable_gc``: when the import ends, its
    objects are frozen (``gc.freeze``, never examined again) and the collector, which the caller
    turned off for the imports, is turned on again. An import that fails is left for the main
    thread's own import to report."""

    def run() -> None:
        try:
            importlib.import_module(name)
        # A failed import is left for the main thread's own import of it to raise again.
        except Exception:  # nosec B110
            pass
        finally:
            if enable_gc:
                gc.freeze()
                gc.enable()

    thread = threading.Thread(target=run, name=f"import {name}", daemon=True)
    thread.start()
    return thread
