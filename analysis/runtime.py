"""Process settings for analysis work on million-row tables.

numpy takes every large temporary from the C library's ``malloc``. glibc hands a freed block
above a dynamic threshold (128 KiB, rising to at most 32 MiB) straight back to the kernel, and
trims free memory at the top of the heap above 128 KiB; the next temporary of the same size is
then fresh memory that the kernel maps and zeroes page by page. The cycling analysis of a
1,000,000-row test works with 8 MB columns, and on the benchmark machine that zeroing was about
a third of its time and varied from run to run with the heap's history (``bench/cycling.py``).

:func:`keep_freed_memory` asks glibc to keep such blocks in the process for reuse: blocks up
to ``mmap_threshold`` bytes come from the heap, and free heap memory is returned to the kernel
only beyond ``trim_threshold``. The cost is that a process keeps the memory of its largest
job until it exits: Celery workers call it at start (``labdb.celery``, and
``CELERY_WORKER_MAX_MEMORY_PER_CHILD`` replaces a child that grew too large), as does the
``python -m analysis`` command line. Web server processes do not. Elsewhere than glibc (musl,
macOS) it does nothing and says so.
"""

from __future__ import annotations

import ctypes
import sys

#: glibc's ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

#: Blocks up to this size are reused rather than unmapped: 256 MiB, a float64 column of 32
#: million rows.
MMAP_THRESHOLD_BYTES = 256 << 20
#: Free memory kept at the top of the heap before it is returned to the kernel.
TRIM_THRESHOLD_BYTES = 1 << 30


def keep_freed_memory(
    mmap_threshold: int = MMAP_THRESHOLD_BYTES, trim_threshold: int = TRIM_THRESHOLD_BYTES
) -> bool:
    """Keep freed large blocks for reuse (glibc only); ``True`` when glibc took the settings."""
    if not sys.platform.startswith("linux"):
        return False
    # The C library already loaded in this process (``dlopen(NULL)``): no search for it on
    # disk (``ctypes.util.find_library`` runs ``ldconfig -p``, 0.1 s of every command's start).
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return False
    if not hasattr(libc, "gnu_get_libc_version"):  # musl and others: not glibc
        return False
    mallopt = libc.mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok_mmap = bool(mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)) == 1)
    ok_trim = bool(mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)) == 1)
    return ok_mmap and ok_trim


def small_pages_for_arrays() -> bool:
    """Ask numpy not to advise transparent huge pages for its large arrays (Linux); ``True``
    when numpy took the setting.

    numpy marks every array of 4 MB or more ``MADV_HUGEPAGE``. On a machine whose kernel
    compacts memory for such regions when they are first touched (``defrag`` at ``madvise``,
    a common default), a short process that fills a few hundred MB of new arrays spends much
    of its time in the kernel: the command line's cycling analysis of a 1M-row file spent
    0.3-1.1 s of system time against 0.25 s with ordinary pages, on a 2-core machine shared with
    other work (``perf``: clearing and finding huge pages), for 0-0.15 s more user time from
    the extra TLB misses. The same as ``NUMPY_MADVISE_HUGEPAGE=0``. The command line sets it;
    workers, which reuse their memory from job to job (:func:`keep_freed_memory`), do not.
    """
    import numpy as np

    setter = getattr(getattr(np, "_core", None), "multiarray", None)
    setter = getattr(setter, "_set_madvise_hugepage", None)
    if setter is None:
        return False
    setter(False)
    return True
