"""The Dask engine: start or reach a cluster, and run one task per part of a dataset.

Without an address, :func:`dask_client` starts a ``LocalCluster`` sized to the machine
(one single-threaded worker process per core, memory shared out evenly) and shuts it down
at the end; with one (``tcp://host:8786``) it connects to a running scheduler, giving up
after a short timeout with a clear error. :func:`run_partitions` maps a function over the
parts and turns what can go wrong on a cluster (a worker that died, a lost scheduler)
into :class:`~fakedetect.errors.UserError` messages a user can act on.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from fakedetect.errors import UserError

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client

#: The engines a command can run on.
ENGINES = ("local", "dask")
#: Seconds to wait for a scheduler before giving up.
CONNECT_TIMEOUT = 5.0
#: Times a part's task is tried again after it raised (a worker dying is retried by the
#: scheduler itself, up to ``distributed.scheduler.allowed-failures`` times).
RETRIES = 1


class PartitionError(UserError):
    """A user error raised while a worker processed one part (pickles across processes)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.hint))


def _rebuild(cls: type[UserError], message: str, hint: str | None) -> UserError:
    return cls(message, hint=hint)


class _Failed:
    """A user error raised by a task, returned as a value: it is not worth a retry."""

    def __init__(self, message: str, hint: str | None) -> None:
        self.message = message
        self.hint = hint


def _guarded(k: int, *, fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run ``fn(k, **kwargs)`` on a worker; a user error comes back as :class:`_Failed`.

    Memory freed by the task is handed back to the system before the next one starts,
    so a long-lived worker does not creep up part after part.
    """
    try:
        return fn(k, **kwargs)
    except UserError as exc:
        return _Failed(exc.message, exc.hint)
    finally:
        release_memory()


def release_memory() -> None:
    """Collect garbage and return free heap pages (glibc, Arrow's pool) to the system."""
    import ctypes
    import gc
    import sys

    gc.collect()
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: macOS, musl, Windows
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def use_dask(engine: str, scheduler: str | None) -> bool:
    """Check ``--engine`` and ``--scheduler`` together; True for the Dask engine.

    Raises
    ------
    UserError
        An unknown engine, or a scheduler address with the local engine.
    """
    if engine not in ENGINES:
        raise UserError(f"--engine {engine}: expected one of {', '.join(ENGINES)}")
    if scheduler is not None and engine != "dask":
        raise UserError(f"--scheduler {scheduler} only applies to the Dask engine",
                        hint="add --engine dask, or drop --scheduler to run locally")
    return engine == "dask"


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, n_workers: int | None = None,
                threads_per_worker: int = 1, memory_limit: str | float | None = "auto",
                timeout: float = CONNECT_TIMEOUT) -> Iterator[Client]:
    """A Dask client: connected to ``scheduler``, or to a LocalCluster started for it.

    Parameters
    ----------
    scheduler : str, optional
        ``tcp://host:8786`` (or any address Dask accepts). Without one a LocalCluster is
        started and closed again when the block ends.
    n_workers : int, optional
        LocalCluster worker processes (default: one per core).
    threads_per_worker : int
        LocalCluster threads per worker.
    memory_limit : str or float, optional
        LocalCluster memory limit per worker (``"auto"`` shares the machine's memory out
        evenly; ``"2GB"``; None for no limit).
    timeout : float
        Seconds to wait for the scheduler.

    Yields
    ------
    distributed.Client

    Raises
    ------
    UserError
        The address is malformed, or no scheduler answers there within ``timeout``.
    """
    import importlib.util
    import os

    from distributed import Client, LocalCluster

    if scheduler is None:
        workers = n_workers or os.cpu_count() or 1
        board = ":0" if importlib.util.find_spec("bokeh") is not None else None
        with LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker,
                          processes=True, memory_limit=memory_limit,
                          dashboard_address=board, silence_logs=logging.ERROR) as cluster, \
                Client(cluster) as client:
            _announce(client)
            yield client
        return
    try:
        client = Client(scheduler, timeout=timeout)
    except ValueError as exc:
        raise UserError(f"--scheduler {scheduler}: not a Dask address ({exc})",
                        hint="pass the address `dask scheduler` prints, such as "
                             "tcp://10.0.0.5:8786") from exc
    except (OSError, TimeoutError) as exc:
        raise UserError(f"--scheduler {scheduler}: no Dask scheduler answered within "
                        f"{timeout:g} s ({exc})",
                        hint="start one with `dask scheduler` (and workers with `dask "
                             "worker ADDRESS`), or check the host, the port (8786 by "
                             "default) and the firewall") from exc
    except Exception as exc:  # something answered, but not in Dask's protocol
        raise UserError(f"--scheduler {scheduler}: what answered there is not a Dask "
                        f"scheduler ({type(exc).__name__}: {exc})",
                        hint="check the host and the port (8786 by default; the dashboard "
                             "port 8787 is not the scheduler)") from exc
    _announce(client)
    try:
        yield client
    finally:
        client.close()


def _announce(client: Client) -> None:
    """Log the cluster's workers, threads, memory and dashboard link (INFO)."""
    from fakedetect.progress import describe_cluster

    board = client.dashboard_link if client.scheduler_info().get("services", {}).get(
        "dashboard") else None
    logging.getLogger(__name__).info(describe_cluster(client.scheduler_info(), board))


def worker_count(client: Client) -> int:
    """Workers connected to the scheduler now."""
    return len(client.scheduler_info().get("workers", {}))


def run_partitions(client: Client, fn: Callable[..., Any], parts: Sequence[int], *,
                   retries: int = RETRIES, what: str = "part",
                   progress: Callable[[int, int], None] | None = None,
                   **kwargs: Any) -> list[Any]:
    """Run ``fn(k, **kwargs)`` for every part ``k`` on the cluster; results in order.

    Each result is fetched as soon as its task ends and released on the cluster, so
    workers hold at most the results not yet collected.

    Parameters
    ----------
    client : distributed.Client
    fn : callable
        A module-level function (workers import it; nothing is pickled by value).
    parts : sequence of int
        Part numbers.
    retries : int
        Extra tries for a task that raised an unexpected error (a user error, such as a
        contract problem in the part, fails at once).
    what : str
        What a task works on, for messages.
    progress : callable, optional
        Called with (done, total) after each task.
    **kwargs
        Passed to every call (small values: paths, names, options).

    Returns
    -------
    list
        ``fn``'s results, in the order of ``parts``.

    Raises
    ------
    UserError
        A task raised a user error (re-raised as is), a worker died too often on one
        part, or the scheduler went away. Other errors are bugs and keep their
        traceback. Any failure cancels the remaining tasks.
    """
    import uuid

    from distributed import as_completed
    from distributed.client import FutureCancelledError
    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker

    run_id = uuid.uuid4().hex[:12]
    keys = [f"fakedetect-{getattr(fn, '__name__', 'task')}-{run_id}-{k}" for k in parts]
    futures = client.map(_guarded, list(parts), key=keys, retries=retries, fn=fn, **kwargs)
    index = {f.key: i for i, f in enumerate(futures)}
    results: list[Any] = [None] * len(futures)
    done = 0
    try:
        for future in as_completed(futures):
            i = index[future.key]
            try:
                result = future.result()
            except KilledWorker as exc:
                raise UserError(
                    f"Dask workers died again and again while working on {what} "
                    f"{parts[i]} ({exc}); the job was stopped and nothing was written",
                    hint="a worker that dies is usually out of memory: split the data "
                         "into more parts (`fakedetect repartition --partitions`), give "
                         "workers more memory (`dask worker --memory-limit`), or read "
                         "the worker logs") from None
            future.release()
            if isinstance(result, _Failed):
                raise PartitionError(result.message, hint=result.hint)
            results[i] = result
            done += 1
            if progress is not None:
                progress(done, len(futures))
    except (CommClosedError, FutureCancelledError, OSError) as exc:
        raise UserError(f"lost the Dask scheduler while working ({exc}); nothing was "
                        "written", hint="check that the scheduler and its workers are "
                                        "still running, then run the command again"
                        ) from exc
    finally:
        client.cancel([f for f in futures if not f.done()])
    return results


def in_account_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by account id as the local engine orders them (Python string order).

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with an ``account_id`` column, or indexed by account id.

    Returns
    -------
    pandas.DataFrame
        The same rows, in account order.
    """
    import numpy as np

    ids = np.asarray(frame.index if "account_id" not in frame.columns
                     else frame["account_id"], dtype=object)
    order = np.argsort(ids.astype(str), kind="stable")
    return frame.take(order)
