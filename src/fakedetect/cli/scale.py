"""``fakedetect repartition``, and the ``--engine`` / ``--scheduler`` options of the
commands that can run on Dask."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fakedetect.cli._common import ConfigOpt, DataOpt, app, dataset, echo, load

if TYPE_CHECKING:
    from collections.abc import Callable

EngineOpt = Annotated[str, typer.Option(
    "--engine", help="local (this process) or dask (a LocalCluster, or the cluster at "
                     "--scheduler); dask needs a dataset written by `fakedetect "
                     "repartition`.")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                        "(with --engine dask; default: start a LocalCluster sized to this "
                        "machine).")]


@app.command()
def repartition(
    out: Annotated[Path, typer.Option("--out", "-o", help="New dataset folder (must not "
                                                          "exist or be empty).",
                                      file_okay=False)],
    partitions: Annotated[int, typer.Option(
        "--partitions", help="Parts per table; aim at 50-200 MB of Parquet per part.")],
    directory: Annotated[Path | None, typer.Argument(
        metavar="DATA", help="Dataset folder to split.", show_default=False)] = None,
    data: DataOpt = None,
    config: ConfigOpt = None,
) -> int:
    """Write every table as a folder of Parquet parts split by a stable hash of
    account_id, so all rows of an account share a part number across tables."""
    import time

    from fakedetect.io import check_output_folder
    from fakedetect.scale.partition import repartition as run

    directory = dataset(directory, data, command="repartition")
    load(config)  # a wrong --config fails before any work
    check_output_folder(out)  # before any work
    started = time.perf_counter()
    layout = run(directory, out, partitions, log=lambda s: echo(f"  {s}"))
    echo(f"{layout.root}: {len(layout.tables)} table(s) x {layout.partitions} part(s) in "
         f"{time.perf_counter() - started:.1f} s")
    return 0


def progress_line(label: str) -> Callable[[int, int], None]:
    """A progress callback for the parts of a Dask job, on stderr.

    On a terminal it draws a bar (:class:`fakedetect.progress.ProgressBar`, removed when
    the last part ends); elsewhere it prints ``label: done/total parts, elapsed, about
    N s left`` at every tenth of the parts.
    """
    import time

    from fakedetect.progress import ProgressBar, wanted

    if wanted():
        bar = ProgressBar(label, unit="parts", delay=0.0)

        def draw(done: int, total: int) -> None:
            bar(done, total)
            if done >= total:
                bar.close()

        return draw
    step = {"last": -1}
    started = time.perf_counter()

    def show(done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if tenth != step["last"] or done == total:
            step["last"] = tenth
            spent = time.perf_counter() - started
            left = spent / done * (total - done) if done else float("nan")
            rest = f", about {left:.0f} s left" if done < total and done else ""
            echo(f"  {label}: {done}/{total} parts, {spent:.0f} s elapsed{rest}", err=True)

    return show
