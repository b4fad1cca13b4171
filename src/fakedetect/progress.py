"""Progress on long work: a bar on stderr, shown only where a person is watching.

A :class:`ProgressBar` is a callable ``(done, total)`` that the loops of fakedetect
accept as their ``progress`` argument, plus :meth:`ProgressBar.stage` for work measured
in named steps. It draws nothing unless stderr is a terminal and the work has lasted
longer than ``delay`` seconds, so short commands, pipes, log files and tests see no
bar at all. The bar shows what is done, the elapsed time and an estimate of what remains.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

#: ``progress(done, total)``: what loops call after each unit of work.
ProgressCallback = Callable[[int, int], None]

#: Seconds of work before a bar appears.
DEFAULT_DELAY = 2.0


def wanted(stream: IO[str] | None = None) -> bool:
    """Whether a bar can be seen: the stream (default stderr) is a terminal."""
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class ProgressBar:
    """A progress bar on stderr for one piece of work.

    Parameters
    ----------
    label : str
        What is being done ("scoring", "writing pages").
    unit : str, default "steps"
        What ``done`` and ``total`` count.
    enabled : bool, optional
        Force the bar on or off (default: on when stderr is a terminal).
    delay : float, default :data:`DEFAULT_DELAY`
        Seconds before the bar appears; work that ends sooner shows nothing.
    stages : sequence of str, optional
        Names of the steps :meth:`stage` announces, in order; each counts as one step.
    stream : file, optional
        Where to draw (default: stderr).

    Examples
    --------
    >>> with ProgressBar("writing pages", unit="pages", enabled=False) as bar:
    ...     for i in range(3):
    ...         bar(i + 1, 3)
    """

    def __init__(self, label: str, *, unit: str = "steps", enabled: bool | None = None,
                 delay: float = DEFAULT_DELAY, stages: Sequence[str] = (),
                 stream: IO[str] | None = None) -> None:
        self.label = label
        self.unit = unit
        self.stream = sys.stderr if stream is None else stream
        self.enabled = wanted(self.stream) if enabled is None else enabled
        self.delay = delay
        self.stages = tuple(stages)
        self.started = time.perf_counter()
        self._done = 0
        self._total = 0
        self._what = label
        self._bar: Any = None
        self._task: Any = None

    @property
    def elapsed(self) -> float:
        """Seconds since the bar was made."""
        return time.perf_counter() - self.started

    def __call__(self, done: int, total: int) -> None:
        """Record that ``done`` of ``total`` units are finished."""
        self._done, self._total = int(done), int(total)
        self._draw()

    def stage(self, name: str) -> None:
        """Announce the step ``name``; the steps before it count as done."""
        self._what = f"{self.label}: {name}"
        if name in self.stages:
            self._done, self._total = self.stages.index(name), len(self.stages)
        self._draw()

    def _draw(self) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            if self.elapsed < self.delay or (self._total and self._done >= self._total):
                return
            self._start()
        self._bar.update(self._task, completed=self._done, total=self._total or None,
                         description=self._what, left=self.remaining())

    def remaining(self) -> str:
        """What is left, estimated from the pace so far (``"?"`` before the first unit)."""
        if not self._total or not self._done:
            return "? left"
        if self._done >= self._total:
            return "done"
        seconds = self.elapsed / self._done * (self._total - self._done)
        minutes, secs = divmod(round(seconds), 60)
        return f"about {minutes}:{secs:02d} left"

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                             MofNCompleteColumn(), TextColumn(self.unit),
                             TimeElapsedColumn(), TextColumn("elapsed,"),
                             TextColumn("{task.fields[left]}"),
                             console=Console(file=self.stream), transient=True)
        self._task = self._bar.add_task(self._what, total=self._total or None,
                                        left=self.remaining())
        # the bar's clock starts now; count the time already spent
        self._bar.tasks[0].start_time = self._bar.get_time() - self.elapsed
        self._bar.start()

    def close(self) -> None:
        """Remove the bar from the terminal."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def describe_cluster(info: dict[str, Any], dashboard: str | None) -> str:
    """One line on a Dask cluster: workers, threads, memory and the dashboard link.

    Parameters
    ----------
    info : dict
        ``distributed.Client.scheduler_info()``.
    dashboard : str or None
        The dashboard's address, ``None`` when the cluster has none.

    Returns
    -------
    str
    """
    workers = info.get("workers", {}) or {}
    threads = sum(int(w.get("nthreads", 0) or 0) for w in workers.values())
    memory = sum(int(w.get("memory_limit", 0) or 0) for w in workers.values())
    mem = f"{memory / 2**30:.1f} GiB memory" if memory else "no memory limit"
    link = (f"dashboard {dashboard}" if dashboard else
            "no dashboard (a cluster started with bokeh installed has one)")
    return (f"Dask cluster: {len(workers)} worker(s), {threads} thread(s), {mem}; "
            f"{link}")
