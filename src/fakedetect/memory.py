"""Large arrays on ordinary pages while fakedetect loads and scores data.

numpy advises the kernel to back every array of 4 MiB or more with transparent huge
pages (``madvise(MADV_HUGEPAGE)``). Where the kernel's huge-page setting is
``madvise`` with ``defrag`` also ``madvise`` (a common default), each such advice can
make the allocating thread stop and compact memory before its first write. Loading and
scoring a dataset allocates thousands of such arrays and drops them again, and these
stalls made a 20,000-account scoring run take 1.8 to 2.4 s instead of a steady 1.8 s
(``benchmarks/predict.py``). :func:`ordinary_pages` turns numpy's advice off while the
work runs and restores the setting afterwards; numpy's own ``NUMPY_MADVISE_HUGEPAGE``
environment variable sets the default for the whole process.
"""

from __future__ import annotations

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
