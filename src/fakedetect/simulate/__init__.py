"""Simulated influencer histories, genuine and fraudulent, for the influencer model.

No public labelled data of influencer histories exists, so the influencer model learns
from this simulator. It is calibrated on published tier figures and fitted on the real
per-post series and profiles in ``../shared/data`` (:mod:`~fakedetect.simulate.params`),
and it keeps the problem honest: genuine accounts show the same kinds of spikes as fraud
(giveaways, shout-outs, viral posts, press), fraud comes in subtle doses too, and
:func:`~fakedetect.simulate.honesty.single_signal_aucs` checks that no single raw signal
separates the classes.

Public API: :func:`simulate` (also ``fakedetect simulate``) and :class:`SimulationSummary`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fakedetect.errors import UserError

__all__ = ["COVERAGES", "DIFFICULTY_NAMES", "FORMATS", "SimulationSummary", "simulate"]

DIFFICULTY_NAMES = ("easy", "realistic", "hard")
COVERAGES = ("partial", "full")
FORMATS = ("parquet", "csv", "jsonl")
#: Default last day of the simulated window: fixed, so a seed always gives the same bytes.
DEFAULT_END_DATE = "2026-10-31"
#: Accounts per written chunk (a Parquet row group per table).
DEFAULT_CHUNK = 20_000
#: The summary written beside the tables (not a contract table).
MANIFEST = "simulation.json"


@dataclass(frozen=True)
class SimulationSummary:
    """What a simulation wrote.

    Attributes
    ----------
    out : Path
        The dataset folder.
    accounts, days, seed : int
    fraud_rate : float
    difficulty : str
    fmt : str
    label_noise : float
    end_date : str
    rows : dict
        Rows written per table.
    files : dict
        Table name to file.
    fake_accounts : int
        Accounts labelled fake (after label noise).
    fraud_types : dict
        Count of accounts per true fraud pattern (an account may have several).
    worlds, heldout_worlds : int
        Training and held-out worlds.
    coverage : str
        ``partial`` or ``full``.
    world_params : dict
        World id to its drawn population parameters.
    world_ranges : dict
        Parameter to its default and the training and held-out ranges.
    world_accounts : dict
        Accounts per world.
    profiles : dict
        Where the follower pools come from: ``kind`` ``fitted`` (distributions fitted
        on InstaFake and Purba, see ``params.PROFILE_COMPONENTS``) or ``dataset`` (with
        its path, the SHA-256 of its accounts and labels files and the profiles per
        segment); ``scored_by`` says that no model scored them here: the influencer
        model's audience features apply the account model at training time, which must
        not have trained on these profiles.
    seconds : float
        Wall time of the run.
    """

    out: Path
    accounts: int
    days: int
    seed: int
    fraud_rate: float
    difficulty: str
    fmt: str
    label_noise: float
    end_date: str
    rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    fake_accounts: int = 0
    fraud_types: dict[str, int] = field(default_factory=dict)
    worlds: int = 1
    heldout_worlds: int = 0
    coverage: str = "partial"
    world_params: dict[str, dict[str, float]] = field(default_factory=dict)
    world_ranges: dict[str, dict[str, Any]] = field(default_factory=dict)
    world_accounts: dict[str, int] = field(default_factory=dict)
    profiles: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def manifest(self) -> dict[str, Any]:
        """The summary as JSON-ready data, without timing or folder (so files stay identical)."""
        data = asdict(self)
        data.pop("seconds")
        data.pop("out")
        data["files"] = {k: v.name for k, v in self.files.items()}
        return data


def _check(accounts: int, days: int, fraud_rate: float, difficulty: str, fmt: str,
           label_noise: float, chunk_size: int, worlds: int = 1, heldout_worlds: int = 0,
           coverage: str = "partial") -> None:
    if accounts < 1:
        raise UserError(f"--accounts must be at least 1, got {accounts}",
                        hint="e.g. --accounts 1000")
    if days < 14:
        raise UserError(f"--days must be at least 14, got {days}",
                        hint="growth signals need a few weeks of history, e.g. --days 180")
    if not 0 <= fraud_rate <= 1:
        raise UserError(f"--fraud-rate must be between 0 and 1, got {fraud_rate}",
                        hint="e.g. --fraud-rate 0.3")
    if difficulty not in DIFFICULTY_NAMES:
        raise UserError(f"unknown difficulty {difficulty!r}",
                        hint=f"use one of {', '.join(DIFFICULTY_NAMES)}")
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    if not 0 <= label_noise <= 0.5:
        raise UserError(f"--label-noise must be between 0 and 0.5, got {label_noise}",
                        hint="it is the share of labels flipped, e.g. 0.05")
    if chunk_size < 1:
        raise UserError(f"chunk size must be at least 1, got {chunk_size}")
    if not 1 <= worlds <= 100 or not 0 <= heldout_worlds <= 100:
        raise UserError(f"--worlds must be 1 to 100 and --heldout-worlds 0 to 100, got "
                        f"{worlds} and {heldout_worlds}", hint="e.g. --worlds 8 "
                                                               "--heldout-worlds 2")
    if coverage not in COVERAGES:
        raise UserError(f"unknown coverage {coverage!r}",
                        hint=f"use one of {', '.join(COVERAGES)}")


def simulate(out: str | Path, *, accounts: int, days: int = 180, seed: int = 0,
             fraud_rate: float = 0.3, difficulty: str = "realistic", fmt: str = "parquet",
             label_noise: float = 0.0, end_date: str = DEFAULT_END_DATE,
             chunk_size: int = DEFAULT_CHUNK,
             progress: bool | Callable[[int, int], None] = False, worlds: int = 1,
             heldout_worlds: int = 0, coverage: str = "partial",
             profiles: str | Path | None = None,
             profiles_fold: tuple[int, int] | None = None) -> SimulationSummary:
    """Simulate genuine and fraudulent influencer histories and write them as a dataset.

    The dataset passes ``fakedetect validate``: accounts, daily snapshots, posts, a
    comment sample per post, an audience sample of 100-200 followers per influencer,
    and labels with ``fraud_type``, ``source`` (``sim``) and ``world``. Each account
    belongs to a world (:mod:`~fakedetect.simulate.worlds`); with partial coverage some
    accounts lack snapshot days, comments, an audience sample or like counts, at each
    world's rates and independent of the label. Accounts are generated in blocks seeded from
    ``(seed, block)`` and written in chunks, so memory does not grow with ``accounts``
    and the same arguments give byte-identical files.

    Parameters
    ----------
    out : path-like
        Output folder (created; tables of the same names in any format are replaced).
    accounts : int
        Influencers to simulate.
    days : int, default 180
        Days of history, ending on ``end_date``.
    seed : int, default 0
    fraud_rate : float, default 0.3
        Share of fraudulent accounts.
    difficulty : {"easy", "realistic", "hard"}
        How much fraud and genuine behaviour overlap.
    fmt : {"parquet", "csv", "jsonl"}
    label_noise : float, default 0.0
        Share of labels flipped (a flipped genuine account is labelled ``fake``, a
        flipped fraudulent one ``none``); ``labels.label_flipped`` marks them.
    end_date : str, default "2026-10-31"
        Last simulated day (UTC); must be in the past for the dataset to validate.
    chunk_size : int
        Accounts per written chunk; changes only the file layout, not the data.
    progress : bool or callable
        Show a progress bar on stderr, or call ``progress(done, total)`` (blocks of
        1,000 accounts) as blocks are written.
    worlds : int, default 1
        Training worlds ``w00`` .. (``w00`` has the default parameters).
    heldout_worlds : int, default 0
        Held-out worlds ``h00`` .., drawn from wider ranges.
    coverage : {"partial", "full"}
        ``full`` gives every account every table.
    profiles : path-like, optional
        Labelled profile dataset (accounts and labels, e.g. from ``fakedetect import``)
        whose genuine and fake rows feed the follower pools instead of the fitted ones.
    profiles_fold : (int, int), optional
        ``(i, k)``: only the profiles in cross-fitting fold ``i`` of ``k``
        (:func:`~fakedetect.simulate.audience.profile_fold`), so an account model
        trained on the other folds scores audiences it has not seen.

    Returns
    -------
    SimulationSummary

    Raises
    ------
    UserError
        On an invalid argument.
    """
    import numpy as np

    from fakedetect.simulate.core import BLOCK, Settings, generate_block, make_context
    from fakedetect.simulate.design import DIFFICULTIES
    from fakedetect.simulate.fraud import PATTERNS
    from fakedetect.simulate.tables import TABLE_NAMES, schemas
    from fakedetect.simulate.worlds import world_ranges
    from fakedetect.simulate.writer import TableSink, stale_tables

    _check(accounts, days, fraud_rate, difficulty, fmt, label_noise, chunk_size, worlds,
           heldout_worlds, coverage)
    if profiles_fold is not None and (profiles is None or profiles_fold[1] < 2
                                      or not 0 <= profiles_fold[0] < profiles_fold[1]):
        raise UserError(f"--profiles-fold {profiles_fold[0]}/{profiles_fold[1]} is not a "
                        "fold of --profiles", hint="use I/K with 0 <= I < K and K >= 2, "
                                                  "together with --profiles")
    try:
        end = np.datetime64(end_date, "D")
    except ValueError as exc:
        raise UserError(f"end date {end_date!r} is not a date",
                        hint="use YYYY-MM-DD, e.g. 2026-10-31") from exc
    today = np.datetime64(time.strftime("%Y-%m-%d", time.gmtime()), "D")
    if end >= today:
        raise UserError(f"end date {end} is not in the past (today is {today})",
                        hint="validation rejects future timestamps; use an earlier "
                             "--end-date")
    first = end - np.timedelta64(days - 1, "D")
    if first < np.datetime64("2011-01-01"):
        raise UserError(f"the window {first}..{end} starts before 2011",
                        hint="use a later --end-date or fewer --days")
    started = time.perf_counter()
    settings = Settings(accounts=accounts, days=days, seed=seed, fraud_rate=fraud_rate,
                        difficulty=DIFFICULTIES[difficulty], label_noise=label_noise,
                        end_date=end, worlds=worlds, heldout_worlds=heldout_worlds,
                        coverage=coverage,
                        profiles=None if profiles is None else str(profiles),
                        profiles_fold=profiles_fold)
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    ctx = make_context(settings)
    sch = schemas()
    sinks = {name: TableSink(root, name, sch[name], fmt) for name in TABLE_NAMES}
    n_blocks = -(-accounts // BLOCK)
    per_chunk = max(1, -(-chunk_size // BLOCK))
    fake = 0
    by_type = dict.fromkeys(PATTERNS, 0)
    per_world = np.zeros(len(ctx.worlds.ids), dtype=np.int64)
    bar = _progress(progress is True, n_blocks)
    done = 0
    try:
        import pyarrow as pa

        for lo in range(0, n_blocks, per_chunk):
            blocks = [generate_block(ctx, b) for b in range(lo, min(lo + per_chunk, n_blocks))]
            for name in TABLE_NAMES:
                sinks[name].write(pa.concat_tables([b.tables[name] for b in blocks]))
            for b in blocks:
                fake += int(np.asarray(b.tables["labels"]["is_fake"]).sum())
                per_world += np.bincount(b.truth["world"], minlength=len(per_world))
                counts = b.truth["patterns"].sum(axis=0)
                for p, c in zip(PATTERNS, counts, strict=True):
                    by_type[p] += int(c)
            done += len(blocks)
            if bar is not None:
                bar[0].update(bar[1], advance=len(blocks))
            elif callable(progress):
                progress(done, n_blocks)
        for sink in sinks.values():
            sink.close()
        for path in stale_tables(root, TABLE_NAMES, fmt):
            path.unlink()
        files = {name: sink.commit() for name, sink in sinks.items()}
    except BaseException:
        for sink in sinks.values():
            sink.discard()
        raise
    finally:
        if bar is not None:
            bar[0].stop()
    summary = SimulationSummary(
        out=root, accounts=accounts, days=days, seed=seed, fraud_rate=fraud_rate,
        difficulty=difficulty, fmt=fmt, label_noise=label_noise, end_date=str(end),
        rows={name: sink.rows for name, sink in sinks.items()}, files=files,
        fake_accounts=fake, fraud_types=by_type, worlds=worlds,
        heldout_worlds=heldout_worlds, coverage=coverage,
        world_params=ctx.worlds.manifest(), world_ranges=world_ranges(),
        world_accounts=dict(zip(ctx.worlds.ids, per_world.tolist(), strict=True)),
        profiles={**ctx.pool.source, "scored_by": None},
        seconds=time.perf_counter() - started,
    )
    from fakedetect.io import write_text

    write_text(root / MANIFEST, json.dumps(summary.manifest(), indent=2, sort_keys=True) + "\n")
    return summary


def _progress(enabled: bool, total: int) -> tuple[Any, Any] | None:
    if not enabled:
        return None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("blocks of 1,000 accounts"), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=True)
    task = bar.add_task("simulate", total=total)
    bar.start()
    return bar, task
