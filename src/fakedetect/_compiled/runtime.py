"""Launch the numba kernels of :mod:`fakedetect._compiled` on a given number of threads.

numba is imported on first launch only (it is slow to import); the kernels compile on
their first call and numba caches the machine code beside their sources
(:func:`fakedetect._compiled.warm.compile_kernels` does that once at install time).
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

#: numba's fallback threading layer (``workqueue``) aborts when two threads launch
#: parallel kernels at once, so launches take turns.
_LAUNCH_LOCK = threading.Lock()
_KERNEL_MODULES = {"treeshap": "fakedetect._compiled._treeshap_numba",
                   "leafmasks": "fakedetect._compiled._leafmasks_numba"}


def effective_n_jobs(n_jobs: int | None) -> int:
    """Threads to use for ``n_jobs``: the machine's cores for ``None``, else ``n_jobs``.

    Parameters
    ----------
    n_jobs : int or None
        At least 1, or ``None``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        For ``n_jobs`` below 1.
    """
    if n_jobs is None:
        return os.cpu_count() or 1
    if int(n_jobs) < 1:
        raise ValueError(f"n_jobs must be at least 1, got {n_jobs}")
    return int(n_jobs)


def kernels(name: str) -> ModuleType:
    """The compiled module of one algorithm (``treeshap`` or ``leafmasks``)."""
    return importlib.import_module(_KERNEL_MODULES[name])


@contextmanager
def launch(name: str, n_jobs: int | None) -> Iterator[ModuleType]:
    """The kernels of algorithm ``name``, held for one call on ``n_jobs`` threads.

    Parameters
    ----------
    name : str
        ``treeshap`` or ``leafmasks``.
    n_jobs : int or None
        Threads of the parallel kernels (``None``: every core); numba's setting belongs
        to the calling thread and is set on every launch.

    Yields
    ------
    module
    """
    import numba

    module = kernels(name)
    threads = min(effective_n_jobs(n_jobs), numba.config.NUMBA_NUM_THREADS)
    with _LAUNCH_LOCK:
        numba.set_num_threads(threads)
        yield module
