"""How fakedetect's memory is laid out while it loads and scores data.

Two settings, both about the kernel's work behind fresh memory. First, huge pages:

numpy advises the kernel to back every array of 4 MiB or more with transparent huge
pages (``madvise(MADV_HUGEPAGE)``). Where the kernel's huge-page setting is
``madvise`` with ``defrag`` also ``madvise`` (a common default), each such advice can
make the allocating thread stop and compact memory before its first write. Loading and
scoring a dataset allocates thousands of such arrays and drops them again, and these
stalls made a 20,000-account scoring run take 1.8 to 2.4 s instead of a steady 1.8 s
(``benchmarks/predict.py``). :func:`ordinary_pages` turns numpy's advice off while the
work runs and restores the setting afterwards; numpy's own ``NUMPY_MADVISE_HUGEPAGE``
environment variable sets the default for the whole process.

Second, :func:`keep_freed_memory` lets the ``fakedetect`` command reuse the memory it
frees instead of handing it back to the kernel, which zeroes every page again when it is
next used.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

_LOCK = threading.Lock()
_DEPTH = 0
_SAVED = False


def _setter() -> object | None:
    """numpy's switch of its huge-page advice (``None`` when this numpy lacks it)."""
    core = getattr(np, "_core", None) or getattr(np, "core", None)
    multiarray = getattr(core, "multiarray", None)
    return getattr(multiarray, "_set_madvise_hugepage", None)


@contextmanager
def ordinary_pages() -> Iterator[None]:
    """Allocate numpy arrays without huge-page advice inside the block (or, as
    ``@ordinary_pages()``, inside every call of the decorated function).

    Re-entrant and safe to use from several threads: the setting found on the first
    entry is restored when the last block exits. Only the advice changes; no array
    or result depends on it.
    """
    global _DEPTH, _SAVED
    setter = _setter()
    if setter is None:
        yield
        return
    entered = False
    try:
        with _LOCK:
            if _DEPTH == 0:
                _SAVED = bool(setter(False))  # type: ignore[operator]
            _DEPTH += 1
            entered = True
        yield
    finally:
        # an interrupt before the count went up must not make the count go down
        if entered:
            with _LOCK:
                _DEPTH -= 1
                if _DEPTH == 0:
                    setter(_SAVED)  # type: ignore[operator]


#: glibc ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
#: The largest ``M_MMAP_THRESHOLD`` glibc accepts on 64-bit machines.
_HEAP_ARRAYS = 32 << 20


def keep_freed_memory() -> dict[str, bool]:
    """Let this process reuse the memory it frees instead of returning it to the kernel.

    A scoring run allocates and drops gigabytes of short-lived arrays. By default glibc's
    malloc (numpy, pandas) maps every array above a few MiB afresh and trims its heap,
    and Arrow's allocator (mimalloc) decommits freed pages after a delay (a second in the
    mimalloc pyarrow ships); each time, the
    kernel zeroes the pages again on their next use. On 20,000 simulated accounts that
    was about 0.2 CPU-s of page faults per run; with this, loading took 0.61 instead of
    0.70 s and the whole run 1.72 instead of 1.83 s (medians of ten runs,
    ``benchmarks/predict.py``). This function:

    - asks glibc (``mallopt``) to serve arrays of up to 32 MiB from its heap, never to
      trim the heap, and to keep at most one arena per core;
    - sets mimalloc's ``purge_delay`` to -1 (keep freed pages). mimalloc reads it once,
      when pyarrow is imported, so this imports pyarrow, and does nothing for mimalloc
      if pyarrow was imported before. The environment is put back afterwards, so child
      processes (Dask workers) keep the defaults.

    The process then holds on to its peak memory until it exits: this is for a command
    that runs one job (the ``fakedetect`` command calls it first), not for a library
    call inside a long-lived process. A setting made through the allocators' own
    environment variables (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``,
    ``MALLOC_ARENA_MAX``, any ``glibc.malloc`` tunable in ``GLIBC_TUNABLES``,
    ``MIMALLOC_PURGE_DELAY``) is left as the user made it. A pyarrow that cannot be
    imported is left for the command that needs it to report.

    Returns
    -------
    dict
        ``{"glibc": bool, "mimalloc": bool}``: which allocators were set.
    """
    done = {"glibc": _tune_glibc(), "mimalloc": False}
    if "pyarrow" not in sys.modules and "MIMALLOC_PURGE_DELAY" not in os.environ:
        os.environ["MIMALLOC_PURGE_DELAY"] = "-1"
        try:
            import pyarrow  # noqa: F401 - mimalloc reads its options as pyarrow loads
        except ImportError:
            return done
        finally:
            del os.environ["MIMALLOC_PURGE_DELAY"]
        done["mimalloc"] = True
    return done


def _tune_glibc() -> bool:
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    if "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", ""):
        return False  # the user tuned malloc: leave all of it
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    wanted = [(param, value) for param, env, value in (
        (_M_MMAP_THRESHOLD, "MALLOC_MMAP_THRESHOLD_", _HEAP_ARRAYS),
        (_M_TRIM_THRESHOLD, "MALLOC_TRIM_THRESHOLD_", 2**31 - 1),
        (_M_ARENA_MAX, "MALLOC_ARENA_MAX", max(os.cpu_count() or 1, 1)))
        if env not in os.environ]
    results = [bool(mallopt(param, value)) for param, value in wanted]
    return bool(results) and all(results)
