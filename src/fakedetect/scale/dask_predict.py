"""Scoring on Dask: :func:`~fakedetect.predict.score_dataset` on every part.

Workers get a :class:`ModelRef`, the path of an exported model folder, never a model
object: each worker verifies the folder's checksums and loads the LightGBM text model
itself (once per worker and model version). The client checks the model first, so a
missing or tampered folder fails before any work is scheduled.

Scores come back per part and are put in the local engine's order: accounts by id, then
the accounts lenient mode dropped, by id.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fakedetect.errors import UserError
from fakedetect.scale.engine import RETRIES, run_partitions

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client

    from fakedetect.config import Config
    from fakedetect.drift import BatchCounts, DriftReport
    from fakedetect.model import FakeModel
    from fakedetect.predict import Scored
    from fakedetect.validate import Dataset

#: Account pages ``report --engine dask`` writes unless told otherwise.
DASK_REPORT_PAGES = 1000

_CACHE: dict[tuple[str, str], FakeModel] = {}
_CACHE_LOCK = threading.Lock()


@dataclass(frozen=True)
class ModelRef:
    """What a worker needs to load a model: its folder and the registry's labels.

    Attributes
    ----------
    folder : str
        An exported model folder (``model.txt``, ``metadata.json``,
        ``MANIFEST.sha256``), at a path every worker reads.
    metadata : dict
        ``model_name``, ``model_version`` and ``model_uri`` as the registry gave them
        (the folder alone does not know them).
    """

    folder: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, model: FakeModel, folder: str | os.PathLike[str]) -> ModelRef:
        """The reference of a model loaded on the client from ``folder``."""
        keep = ("model_name", "model_version", "model_uri")
        return cls(str(Path(folder).resolve()),
                   {k: model.metadata[k] for k in keep if k in model.metadata})

    def load(self) -> FakeModel:
        """Verify the folder's checksums and load the model (cached per version).

        Raises
        ------
        UserError
            A missing folder or file, or a checksum mismatch.
        """
        from fakedetect.model import MANIFEST_FILE, FakeModel, verify_manifest

        folder = Path(self.folder)
        if not folder.is_dir():
            raise UserError(f"{folder}: no such model folder on this worker",
                            hint="the model folder must be on storage every worker "
                                 "reads at the same path")
        verify_manifest(folder)
        key = (self.folder, (folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        with _CACHE_LOCK:
            model = _CACHE.get(key)
            if model is None:
                model = FakeModel.load(folder)
                model.metadata.update(self.metadata)
                _CACHE[key] = model
        return model


def resolve_refs(cfg: Config, model_uri: str | None, task: str
                 ) -> tuple[FakeModel, ModelRef, ModelRef | None]:
    """Resolve the scoring model and the audience scorer to folders the workers load.

    ``--model`` or the task's champion; for an influencer model, the account model
    :func:`fakedetect.scoring.resolve_account_model` chooses (the same as the local
    engine's) scores audience samples.

    Returns
    -------
    model : FakeModel
        Loaded and verified on the client (for its name, version and task).
    ref : ModelRef
    account_ref : ModelRef or None
        None: the rule-based fallback scores audience samples.
    """
    from fakedetect import tracking
    from fakedetect.scoring import account_scorer_from, resolve_account_model

    uri = model_uri or cfg.champion_uri(task)
    model = tracking.resolve_model(uri, cfg)
    ref = ModelRef.of(model, _folder_of(uri, model, cfg))
    account = resolve_account_model(cfg, model, uri)
    if account is None or account_scorer_from(account) is None:
        return model, ref, None
    return model, ref, ModelRef.of(account, Path(str(account.metadata["model_folder"])))


def account_ref_for(cfg: Config, account_model: str, *,
                    note: Callable[[str], None] | None = None) -> ModelRef | None:
    """The audience scorer named by ``features --account-model``, as a folder reference.

    ``rules``: None (the fallback); ``champion``: the registered account champion, or
    None with a note when there is none; otherwise a ``models:/`` URI or a folder.
    """
    from fakedetect import tracking
    from fakedetect.features.audience import RULE_NAME

    if account_model == "rules":
        return None
    uri = cfg.champion_uri("account") if account_model == "champion" else account_model
    try:
        model = tracking.resolve_model(uri, cfg)
    except UserError as exc:
        if account_model != "champion":
            raise
        if note is not None:
            note(f"note: no registered account model ({exc.message}); the audience sample "
                 f"is scored by the rule {RULE_NAME}")
        return None
    return ModelRef.of(model, _folder_of(uri, model, cfg))


def _folder_of(uri: str, model: FakeModel, cfg: Config) -> Path:
    """The folder a resolved model was loaded from (registry models: the local cache)."""
    from fakedetect.model import MANIFEST_FILE

    if not uri.startswith("models:/"):
        return Path(uri)
    folder = Path(str(model.metadata.get("model_folder", "")))
    if not (folder / MANIFEST_FILE).is_file():
        raise UserError(f"{uri}: the model was not found in the local cache {folder}",
                        hint="export it with `fakedetect export --model URI --out DIR` "
                             "and pass --model DIR")
    return folder


# ------------------------------------------------------------------------ workers


@dataclass
class PartScores:
    """Scores of one part: its accounts, then the accounts lenient mode dropped.

    ``profiles`` is the part's accounts table, when asked for (the report's index
    shows every account's username); ``drift`` its counts against the model's training
    reference (:func:`fakedetect.drift.batch_counts`), which add up across parts.
    """

    scores: pd.DataFrame
    rejected: pd.DataFrame
    profiles: pd.DataFrame | None = None
    drift: BatchCounts | None = None


def _score(dataset: Dataset, model: ModelRef, account_model: ModelRef | None,
           top_reasons: int, all_reasons: bool) -> Scored:
    from fakedetect.predict import score_dataset
    from fakedetect.scoring import account_scorer_from

    fm = model.load()
    scorer = None
    if account_model is not None and fm.task == "influencer":
        scorer = account_scorer_from(account_model.load(), n_jobs=1)  # Dask owns the cores
    return score_dataset(dataset, fm, top_reasons=top_reasons, account_scorer=scorer,
                         all_reasons=all_reasons, n_jobs=1)  # the worker's threads are Dask's


def score_partition(k: int, *, root: str, model: ModelRef, account_model: ModelRef | None,
                    top_reasons: int, lenient: bool, profiles: bool = False
                    ) -> PartScores | None:
    """Load, validate, featurise and score part ``k`` (runs on a worker)."""
    from fakedetect.scale.partition import load_partition

    dataset = load_partition(root, k, lenient=lenient)
    if dataset is None:
        return None
    scored = _score(dataset, model, account_model, top_reasons, False)
    n = len(dataset.accounts)
    acc = dataset.accounts
    return PartScores(scored.scores.iloc[:n], scored.scores.iloc[n:],
                      acc.assign(account_id=acc["account_id"].astype(str)) if profiles
                      else None,
                      scored.drift.counts if scored.drift is not None else None)


def combine_scores(parts: Sequence[PartScores | None]) -> pd.DataFrame:
    """Scores of all parts in the local engine's order (accounts by id, then the
    dropped accounts by id)."""
    import pandas as pd

    from fakedetect.scale.engine import in_account_order

    found = [p for p in parts if p is not None]
    if not found:
        raise UserError("no account in the parts processed")
    main = in_account_order(pd.concat([p.scores for p in found], ignore_index=True))
    rejected = [p.rejected for p in found if len(p.rejected)]
    if not rejected:
        return main.reset_index(drop=True)
    extra = in_account_order(pd.concat(rejected, ignore_index=True))
    return pd.concat([main, extra], ignore_index=True)


def combine_drift(parts: Sequence[PartScores | None]) -> BatchCounts | None:
    """The drift counts of all parts together (``None`` when the model has no reference)."""
    counts = [p.drift for p in parts if p is not None and p.drift is not None]
    if not counts:
        return None
    total = counts[0]
    for c in counts[1:]:
        total = total + c
    return total


def predict_on_dask(client: Client, root: str | os.PathLike[str], model: ModelRef, *,
                    account_model: ModelRef | None = None, top_reasons: int = 3,
                    lenient: bool = False, parts: Sequence[int] | None = None,
                    retries: int = RETRIES,
                    progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Score every account of a partitioned dataset on Dask.

    Parameters
    ----------
    client : distributed.Client
    root : path-like
        A partitioned dataset, at a path every worker reads.
    model : ModelRef
        The scoring model's folder.
    account_model : ModelRef, optional
        Scores audience samples (rules when None).
    top_reasons : int
        Plain-word reasons per account.
    lenient : bool
        Drop invalid accounts instead of failing (they come out as not scored).
    parts : sequence of int, optional
        Only these parts.
    retries : int
        Extra tries of a part whose task raised.
    progress : callable, optional
        Called with (parts done, parts in all).

    Returns
    -------
    pandas.DataFrame
        The frame :func:`~fakedetect.predict.score_dataset` returns for the whole
        dataset (``Scored.scores``), row for row.
    """
    return combine_scores(_score_all(client, root, model, account_model=account_model,
                                     top_reasons=top_reasons, lenient=lenient, parts=parts,
                                     retries=retries, progress=progress))


def _score_all(client: Client, root: str | os.PathLike[str], model: ModelRef, *,
               account_model: ModelRef | None, top_reasons: int, lenient: bool,
               parts: Sequence[int] | None, retries: int,
               progress: Callable[[int, int], None] | None, profiles: bool = False
               ) -> list[PartScores | None]:
    from fakedetect.scale.partition import require_layout

    layout = require_layout(root)
    chosen = list(range(layout.partitions)) if parts is None else list(parts)
    return run_partitions(client, score_partition, chosen, retries=retries,
                          progress=progress, root=str(layout.root.resolve()), model=model,
                          account_model=account_model, top_reasons=top_reasons,
                          lenient=lenient, profiles=profiles)


# ------------------------------------------------------------------------- report


@dataclass
class PartPages:
    """The rows and full explanations of the accounts of one part that get a page."""

    tables: dict[str, pd.DataFrame]
    reasons: pd.DataFrame


def pages_partition(k: int, *, root: str, model: ModelRef, account_model: ModelRef | None,
                    lenient: bool, ids: Sequence[str]) -> PartPages | None:
    """Rows (every table but accounts) and all reasons of part ``k``'s accounts in
    ``ids`` (runs on a worker)."""
    from fakedetect.features import dataset_from_frames
    from fakedetect.scale.partition import load_partition

    dataset = load_partition(root, k, lenient=lenient)
    if dataset is None:
        return None
    wanted = set(map(str, ids))
    tables: dict[str, pd.DataFrame] = {}
    for name, frame in dataset.tables.items():
        text = frame["account_id"].astype(str)
        keep = text.isin(wanted).to_numpy(dtype=bool)
        tables[name] = frame[keep].assign(account_id=text[keep])
    sub = dataset_from_frames(tables, path=str(dataset.path))
    reasons = _score(sub, model, account_model, 3, True).reasons
    return PartPages({n: t for n, t in tables.items() if n != "accounts"}, reasons)


def report_on_dask(client: Client, root: str | os.PathLike[str], out: str | os.PathLike[str],
                   model: ModelRef, *, model_info: dict[str, object],
                   account_model: ModelRef | None = None, max_pages: int | None = None,
                   lenient: bool = False, retries: int = RETRIES,
                   progress: Callable[[int, int], None] | None = None
                   ) -> tuple[Path, int, DriftReport | None]:
    """Write the review report of a partitioned dataset scored on Dask.

    Two passes: every account is scored (the index ranks them all), then the parts
    holding the riskiest ``max_pages`` accounts return those accounts' rows and full
    explanations for their pages. Index and pages are those the local engine writes
    with the same ``max_pages``.

    Parameters
    ----------
    client : distributed.Client
    root : path-like
        A partitioned dataset.
    out : path-like
        The report folder.
    model : ModelRef
    model_info : dict
        The model block of the pages (name, version, thresholds, metrics).
    account_model : ModelRef, optional
    max_pages : int, optional
        Account pages to write (default :data:`DASK_REPORT_PAGES`).
    lenient : bool
    retries : int
    progress : callable, optional

    Returns
    -------
    index : Path
        The index page.
    pages : int
        Account pages written.
    drift : DriftReport or None
        The whole batch against the model's training reference (its warnings are on the
        index); ``None`` for a model without one.
    """
    import numpy as np
    import pandas as pd

    from fakedetect.features import dataset_from_frames
    from fakedetect.report import write_report
    from fakedetect.report.pages import normalise_scores, rank_order
    from fakedetect.scale.partition import partition_of, require_layout

    layout = require_layout(root)
    results = _score_all(client, layout.root, model, account_model=account_model,
                         top_reasons=3, lenient=lenient, parts=None, retries=retries,
                         progress=progress, profiles=True)
    scores = combine_scores(results)
    counts = combine_drift(results)
    found_drift = None
    if counts is not None:
        from fakedetect.drift import drift_report

        flags = scores.get("outside_training", pd.Series("", index=scores.index))
        found_drift = drift_report(model.load(), counts, flags.fillna(""))
        model_info = {**model_info, "warnings": found_drift.warnings}
    limit = DASK_REPORT_PAGES if max_pages is None else max(int(max_pages), 0)
    order = rank_order(normalise_scores(scores))
    chosen = scores["account_id"].to_numpy(dtype=object)[order[:limit]].astype(str)
    holding = np.unique(partition_of(pd.Series(chosen, dtype="string"), layout.partitions))
    pages = run_partitions(client, pages_partition, holding.tolist(), retries=retries,
                           root=str(layout.root.resolve()), model=model,
                           account_model=account_model, lenient=lenient, ids=list(chosen))
    found = [r for r in pages if r is not None]
    profiles = [r.profiles for r in results if r is not None and r.profiles is not None]
    tables: dict[str, pd.DataFrame] = {"accounts": in_order(pd.concat(profiles,
                                                                      ignore_index=True))}
    for name in (found[0].tables if found else {}):
        tables[name] = pd.concat([r.tables[name] for r in found], ignore_index=True)
    frames = [r.reasons for r in found]
    reasons = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    dataset = dataset_from_frames(tables, path=str(layout.root))
    index = write_report(Path(out), scores=scores, reasons=reasons, dataset=dataset,
                         model=model_info, max_pages=limit)
    return index, min(limit, len(scores)), found_drift


def in_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by ``account_id`` (the local engine's order)."""
    from fakedetect.scale.engine import in_account_order

    return in_account_order(frame).reset_index(drop=True)


# ---------------------------------------------------------------------- commands


def run_predict(cfg: Config, directory: str | os.PathLike[str], model_uri: str | None,
                task: str, *, top_reasons: int = 3, lenient: bool = False,
                scheduler: str | None = None,
                progress: Callable[[int, int], None] | None = None
                ) -> tuple[FakeModel, pd.DataFrame, DriftReport | None]:
    """``fakedetect predict --engine dask``: check the layout and the models on this
    machine, then start or reach the cluster and score every part.

    Returns
    -------
    model : FakeModel
        The scoring model as loaded here (for its name and version).
    scores : pandas.DataFrame
        As :func:`predict_on_dask`.
    drift : DriftReport or None
        The whole batch against the model's training reference (the parts' counts added
        up; the same as the local engine's); ``None`` for a model without one.
    """
    from fakedetect.drift import drift_report
    from fakedetect.scale.engine import dask_client
    from fakedetect.scale.partition import require_layout

    layout = require_layout(directory)
    with dask_client(scheduler) as client:
        model, ref, account_ref = resolve_refs(cfg, model_uri, task)
        results = _score_all(client, layout.root, ref, account_model=account_ref,
                             top_reasons=top_reasons, lenient=lenient, parts=None,
                             retries=RETRIES, progress=progress)
    scores = combine_scores(results)
    counts = combine_drift(results)
    drift = (drift_report(model, counts, scores["outside_training"].fillna(""))
             if counts is not None else None)
    return model, scores, drift


def run_report(cfg: Config, directory: str | os.PathLike[str], out: str | os.PathLike[str],
               model_uri: str | None, task: str, *,
               model_info: Callable[[FakeModel], dict[str, object]],
               max_pages: int | None = None, lenient: bool = False,
               scheduler: str | None = None,
               progress: Callable[[int, int], None] | None = None
               ) -> tuple[Path, int, DriftReport | None]:
    """``fakedetect report --engine dask`` (see :func:`report_on_dask`).

    Returns
    -------
    index : Path
    pages : int
        Account pages written.
    drift : DriftReport or None
    """
    from fakedetect.scale.engine import dask_client
    from fakedetect.scale.partition import require_layout

    layout = require_layout(directory)
    with dask_client(scheduler) as client:
        model, ref, account_ref = resolve_refs(cfg, model_uri, task)
        return report_on_dask(client, layout.root, out, ref, model_info=model_info(model),
                              account_model=account_ref, max_pages=max_pages,
                              lenient=lenient, progress=progress)
