"""The scoring model: a LightGBM booster in its text format, a calibration map and thresholds.

A model lives in a folder with three kinds of files and nothing else that code is read from:

``model.txt``
    The booster in LightGBM's own text format (never a pickle).
``metadata.json``
    Task, feature list, calibration parameters, verdict thresholds, versions, metrics.
``MANIFEST.sha256``
    The SHA-256 of every other file; loading refuses a folder whose files do not match.

:meth:`FakeModel.load` verifies the manifest, then the feature schema against the
feature registry, before LightGBM reads the booster, so a tampered or mismatched model is
refused with a clear error.

Scoring is LightGBM's: margins from ``booster.predict(raw_score=True)``, contributions
from ``booster.predict(pred_contrib=True)``. From :data:`COMPILED_ROWS` rows on, two
algorithms of :mod:`fakedetect._compiled` give the same values with less work: leaf bit
masks for the margins (bit for bit LightGBM's) and tabulated TreeSHAP for the
contributions (LightGBM's up to rounding). Both read the trees from
``booster.dump_model()``; a model they do not handle is scored by LightGBM alone.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fakedetect.errors import UserError

if TYPE_CHECKING:
    from collections.abc import Mapping

    import lightgbm as lgb
    import pandas as pd

    from fakedetect._compiled.leafmasks import LeafMasks
    from fakedetect._compiled.trees import Splits
    from fakedetect._compiled.treeshap import ShapTables

MODEL_FILE = "model.txt"
METADATA_FILE = "metadata.json"
MANIFEST_FILE = "MANIFEST.sha256"
FORMAT_VERSION = 1
VERDICTS = ("authentic", "review", "likely fake")
#: From this many rows on, margins come from the leaf bit masks and contributions from
#: the tabulated TreeSHAP of :mod:`fakedetect._compiled` (their one-off set-up is paid
#: back from about this size on; smaller inputs ask LightGBM).
COMPILED_ROWS = 2_000
#: Calibrated probabilities stay within [P_MIN, 1 - P_MIN].
P_MIN = 0.001


@dataclass(frozen=True)
class Calibration:
    """Map a raw LightGBM margin (log-odds) to a calibrated fake probability.

    Attributes
    ----------
    method : str
        ``sigmoid`` (Platt scaling: ``1 / (1 + exp(-(a * margin + b)))``) or
        ``isotonic`` (piecewise-linear through ``x``, ``y``).
    a, b : float
        Platt coefficients.
    x, y : tuple of float
        Isotonic knots (margins ascending, probabilities non-decreasing).
    """

    method: str = "sigmoid"
    a: float = 1.0
    b: float = 0.0
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()

    def __call__(self, margin: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw margins, kept within [0.001, 0.999].

        A finite calibration sample cannot justify certainty, so no account is ever
        scored exactly 0 or 100.
        """
        m = np.asarray(margin, dtype=np.float64)
        if self.method == "isotonic":
            p = np.interp(m, np.asarray(self.x), np.asarray(self.y))
        else:
            p = 1.0 / (1.0 + np.exp(-(self.a * m + self.b)))
        return np.clip(p, P_MIN, 1.0 - P_MIN)

    @classmethod
    def fit(cls, margin: np.ndarray, y: np.ndarray, method: str = "sigmoid",
            weight: np.ndarray | None = None) -> Calibration:
        """Fit a calibration on held-out margins and labels.

        Parameters
        ----------
        margin : numpy.ndarray
            Raw margins of samples the booster did not train on.
        y : numpy.ndarray
            Labels (1 = fake).
        method : {"sigmoid", "isotonic"}
        weight : numpy.ndarray, optional
            Sample weights (e.g. to fit under balanced classes).

        Returns
        -------
        Calibration
        """
        margin = np.asarray(margin, dtype=np.float64)
        y = np.asarray(y, dtype=np.int64)
        if method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
            iso.fit(margin, y, sample_weight=weight)
            return cls(method="isotonic", x=tuple(map(float, iso.X_thresholds_)),
                       y=tuple(map(float, iso.y_thresholds_)))
        if method != "sigmoid":
            raise UserError(f"unknown calibration method {method!r}",
                            hint="use sigmoid or isotonic in the experiment file")
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=1e6, max_iter=1000)
        lr.fit(margin.reshape(-1, 1), y, sample_weight=weight)
        return cls(method="sigmoid", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"method": self.method, "a": self.a, "b": self.b, "x": list(self.x),
                "y": list(self.y)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibration:
        """Inverse of :meth:`to_dict`."""
        return cls(method=str(d["method"]), a=float(d.get("a", 1.0)),
                   b=float(d.get("b", 0.0)), x=tuple(map(float, d.get("x", ()))),
                   y=tuple(map(float, d.get("y", ()))))


@dataclass(init=False)
class FakeModel:
    """A trained, calibrated fake-account (or inflated-influencer) classifier.

    Parameters
    ----------
    booster : lightgbm.Booster
        The trees.
    task : str
        ``account`` or ``influencer``.
    features : list of str
        Feature registry names, in the booster's column order.
    calibration : Calibration
        Margin to probability map.
    threshold_fake : float
        Fake probability at or above which the verdict is ``likely fake`` (the
        operating point: chosen to cap the false-positive rate).
    threshold_review : float
        Fake probability at or above which the verdict is ``review``.
    metadata : dict, optional
        Everything else: versions, operating point, metrics, name and version in the
        registry.

    Notes
    -----
    Every scoring method takes ``n_jobs``, the threads LightGBM and the compiled kernels
    use (``None``: every core).
    """

    booster: lgb.Booster
    task: str
    features: list[str]
    calibration: Calibration
    threshold_fake: float
    threshold_review: float
    metadata: dict[str, Any]

    def __init__(self, booster: lgb.Booster, task: str, features: list[str],
                 calibration: Calibration, threshold_fake: float, threshold_review: float,
                 metadata: dict[str, Any] | None = None) -> None:
        self.booster = booster
        self.task = task
        self.features = features
        self.calibration = calibration
        self.threshold_fake = threshold_fake
        self.threshold_review = threshold_review
        self.metadata = {} if metadata is None else metadata

    def __setattr__(self, name: str, value: object) -> None:
        """Replacing the booster drops what was derived from the old trees."""
        if name == "booster":
            for derived in ("splits", "leaf_masks", "shap_tables"):
                self.__dict__.pop(derived, None)
        super().__setattr__(name, value)

    # ------------------------------------------------------------------ scoring

    def _matrix(self, X: pd.DataFrame) -> np.ndarray:
        missing = [f for f in self.features if f not in X.columns]
        if missing:
            raise UserError(
                f"the input lacks {len(missing)} feature(s) this model needs: "
                f"{', '.join(missing[:5])}",
                hint="build features with the same fakedetect version as the model",
            )
        cols = X if list(X.columns) == self.features else X[self.features]
        if all(dtype == np.float64 for dtype in cols.dtypes):
            return cols.to_numpy(dtype=np.float64)  # a view when the frame is one block
        return cols.to_numpy(dtype=np.float64, na_value=np.nan)

    def margin(self, X: pd.DataFrame, *, n_jobs: int | None = None) -> np.ndarray:
        """Raw log-odds of fake for each row of a feature frame.

        Equal, bit for bit, to ``booster.predict(X, raw_score=True)``, which small
        inputs use; large ones use the leaf bit masks of
        :mod:`fakedetect._compiled.leafmasks`.
        """
        matrix = self._matrix(X)
        masks = self.leaf_masks if len(matrix) >= COMPILED_ROWS else None
        if masks is not None:
            from fakedetect._compiled.leafmasks import masked_margin, split_columns

            return masked_margin(masks, split_columns(masks.splits, matrix), n_jobs=n_jobs)
        return self._predict(matrix, n_jobs, raw_score=True)

    def _predict(self, matrix: np.ndarray, n_jobs: int | None, **kind: bool) -> np.ndarray:
        """``booster.predict`` on ``n_jobs`` threads."""
        from fakedetect._compiled.runtime import effective_n_jobs

        return np.asarray(self.booster.predict(matrix, num_threads=effective_n_jobs(n_jobs),
                                               **kind), dtype=np.float64)

    def predict_proba(self, X: pd.DataFrame, *, n_jobs: int | None = None) -> np.ndarray:
        """Calibrated probability that each row is fake."""
        return self.calibration(self.margin(X, n_jobs=n_jobs))

    def predict_proba_columns(self, columns: Mapping[str, np.ndarray], rows: int, *,
                              n_jobs: int | None = None) -> np.ndarray:
        """:meth:`predict_proba` of feature columns, without building their frame.

        Parameters
        ----------
        columns : mapping
            Feature name -> float64 array of ``rows`` values; a feature of the model
            that is not a key is missing on every row.
        rows : int
        n_jobs : int, optional

        Returns
        -------
        numpy.ndarray
            The same probabilities as :meth:`predict_proba` on a frame of these columns
            (large inputs skip the frame: only the split features are read).
        """
        import pandas as pd

        masks = self.leaf_masks if rows >= COMPILED_ROWS else None
        if masks is not None:
            from fakedetect._compiled.leafmasks import masked_margin

            narrow = np.empty((len(masks.splits.features), rows))
            for j, col in enumerate(self._split_inputs(masks, columns)):
                narrow[j] = np.nan if col is None else col
            return self.calibration(masked_margin(masks, narrow, n_jobs=n_jobs))
        nan = np.full(rows, np.nan)
        frame = pd.DataFrame({f: columns.get(f, nan) for f in self.features})
        return self.predict_proba(frame, n_jobs=n_jobs)

    def pattern_keys_columns(self, columns: Mapping[str, np.ndarray], rows: int, *,
                             n_jobs: int | None = None) -> np.ndarray | None:
        """Name the decision pattern of every row of feature columns.

        Rows with equal keys take the same path in every tree, so they get the same
        probability; :meth:`predict_proba_keys` scores each distinct key once.

        Parameters
        ----------
        columns : mapping
            As :meth:`predict_proba_columns` takes them.
        rows : int
        n_jobs : int, optional

        Returns
        -------
        numpy.ndarray or None
            int64 keys, comparable across calls; ``None`` when the model has no leaf
            masks or its patterns do not fit in 62 bits.
        """
        masks = self.leaf_masks
        if masks is None:
            return None
        from fakedetect._compiled.leafmasks import interval_keys

        return interval_keys(masks, self._split_inputs(masks, columns), rows, n_jobs=n_jobs)

    def predict_proba_keys(self, keys: np.ndarray, *, n_jobs: int | None = None
                           ) -> np.ndarray:
        """:meth:`predict_proba` of the rows whose :meth:`pattern_keys_columns` are
        ``keys``, scoring each distinct key once (the same values)."""
        import pandas as pd

        from fakedetect._compiled.leafmasks import keyed_margin

        masks = self.leaf_masks
        if masks is None:
            raise ValueError("this model has no leaf masks, hence no pattern keys")
        codes, uniques = pd.factorize(np.asarray(keys, dtype=np.int64))
        margin = keyed_margin(masks, np.asarray(uniques, dtype=np.int64), n_jobs=n_jobs)
        return self.calibration(margin)[codes]

    def _split_inputs(self, masks: LeafMasks, columns: Mapping[str, np.ndarray]
                      ) -> list[np.ndarray | None]:
        """The columns of the split features, in the masks' order (None: absent)."""
        return [columns.get(self.features[f]) for f in masks.splits.features]

    def contributions(self, X: pd.DataFrame, *, n_jobs: int | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
        """TreeSHAP contributions to the raw margin.

        Small inputs ask LightGBM (``pred_contrib``); large ones use the tabulated
        TreeSHAP of :mod:`fakedetect._compiled.treeshap` (the same values up to
        rounding).

        Returns
        -------
        contrib : numpy.ndarray
            Shape (n_rows, n_features): each feature's push toward fake, in log-odds.
        base : numpy.ndarray
            Shape (n_rows,): the expected margin; ``contrib.sum(1) + base`` equals
            :meth:`margin`.
        """
        matrix = self._matrix(X)
        tables = self.shap_tables if len(matrix) >= COMPILED_ROWS else None
        if tables is not None:
            from fakedetect._compiled.treeshap import contributions

            out = contributions(tables, matrix, n_jobs=n_jobs)
        else:
            out = self._predict(matrix, n_jobs, pred_contrib=True)
        return out[:, :-1], out[:, -1]

    def split_features(self) -> list[str] | None:
        """The features the trees split on (a tree never reads the others); ``None``
        when the trees are not plain numerical ones (read them all)."""
        splits = self.splits
        return None if splits is None else [self.features[f] for f in splits.features]

    @cached_property
    def splits(self) -> Splits | None:
        """The trees in flat arrays (:mod:`fakedetect._compiled.trees`), read once from
        ``booster.dump_model()``; ``None`` for trees the compiled algorithms do not
        handle."""
        from fakedetect._compiled.trees import model_splits

        return model_splits(self.booster)

    @cached_property
    def leaf_masks(self) -> LeafMasks | None:
        """The trees as leaf bit masks; ``None`` when the model has none (trees the
        flat arrays do not handle, more than 64 leaves, masks over the size budget)."""
        from fakedetect._compiled.leafmasks import leaf_masks

        return None if self.splits is None else leaf_masks(self.splits)

    @cached_property
    def shap_tables(self) -> ShapTables | None:
        """The trees tabulated for TreeSHAP (``None`` when they cannot be)."""
        from fakedetect._compiled.treeshap import tabulate

        return None if self.splits is None else tabulate(self.splits)

    def verdict(self, proba: np.ndarray, low: np.ndarray | None = None) -> np.ndarray:
        """``authentic`` / ``review`` / ``likely fake`` for each probability.

        With ``low``, the low end of each probability's interval, ``likely fake`` needs
        the low end to clear :attr:`threshold_fake` (an account whose point estimate
        clears it but whose interval does not is sent to ``review``), which is the
        safer choice for a genuine creator; ``review`` still follows the point estimate.
        """
        p = np.asarray(proba, dtype=np.float64)
        fake = p if low is None else np.minimum(p, np.asarray(low, dtype=np.float64))
        idx = (p >= self.threshold_review).astype(np.int8) + (fake >= self.threshold_fake)
        return np.asarray(VERDICTS, dtype=object)[idx]

    @property
    def name(self) -> str:
        """Registered model name, or the task when unregistered."""
        return str(self.metadata.get("model_name") or f"fakedetect-{self.task}")

    @property
    def version(self) -> str:
        """Registry version, or ``unregistered``."""
        return str(self.metadata.get("model_version") or "unregistered")

    # ------------------------------------------------------------------ files

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write the model folder (text booster, metadata, manifest).

        Parameters
        ----------
        folder : path-like
            Created if needed; files are replaced atomically one by one, manifest last.

        Returns
        -------
        Path
        """
        from fakedetect.io import write_text

        dest = Path(folder)
        dest.mkdir(parents=True, exist_ok=True)
        write_text(dest / MODEL_FILE, self.booster.model_to_string())
        meta = {
            **{k: v for k, v in self.metadata.items() if k != "model_folder"},
            "format_version": FORMAT_VERSION,
            "task": self.task,
            "features": list(self.features),
            "calibration": self.calibration.to_dict(),
            "threshold_fake": self.threshold_fake,
            "threshold_review": self.threshold_review,
        }
        write_text(dest / METADATA_FILE, json.dumps(meta, indent=2, sort_keys=True,
                                                    default=_json_default) + "\n")
        lines = [f"{_sha256(dest / n)}  {n}" for n in (MODEL_FILE, METADATA_FILE)]
        write_text(dest / MANIFEST_FILE, "\n".join(lines) + "\n")
        return dest

    @classmethod
    def load(cls, folder: str | os.PathLike[str], *, check_registry: bool = True
             ) -> FakeModel:
        """Load a model folder after verifying its checksums and feature schema.

        Parameters
        ----------
        folder : path-like
            A folder written by :meth:`save` (or ``fakedetect export``).
        check_registry : bool, default True
            Refuse a model whose features are not in this version's feature registry.

        Returns
        -------
        FakeModel

        Raises
        ------
        UserError
            Missing files, a checksum mismatch (tampered or corrupted), a damaged
            ``model.txt``, or a feature list that does not match the booster or the
            registry.

        """
        src = Path(folder)
        if not src.is_dir():
            raise UserError(f"{src}: no such model folder",
                            hint="export one with `fakedetect export --model URI --out DIR`")
        verify_manifest(src)
        try:
            meta = json.loads((src / METADATA_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise UserError(f"{src / METADATA_FILE}: unreadable metadata ({exc})") from exc
        if meta.get("format_version") != FORMAT_VERSION:
            raise UserError(
                f"{src}: model format {meta.get('format_version')!r} is not supported "
                f"(this fakedetect reads format {FORMAT_VERSION})",
                hint="export the model again with this version of fakedetect")
        booster = _booster_from(src / MODEL_FILE)
        names = list(booster.feature_name())
        features = [str(f) for f in meta["features"]]
        if names != features:
            raise UserError(
                f"{src}: the feature list in {METADATA_FILE} does not match the booster's",
                hint="the folder is inconsistent; export the model again")
        if check_registry:
            from fakedetect.features import feature_names

            known = set(feature_names(str(meta["task"])))
            unknown = [f for f in features if f not in known]
            if unknown:
                raise UserError(
                    f"{src}: the model uses {len(unknown)} feature(s) this version of "
                    f"fakedetect does not build: {', '.join(unknown[:5])}",
                    hint="use the fakedetect version the model was trained with, or "
                         "retrain")
        model = cls(
            booster=booster,
            task=str(meta["task"]),
            features=features,
            calibration=Calibration.from_dict(meta["calibration"]),
            threshold_fake=float(meta["threshold_fake"]),
            threshold_review=float(meta["threshold_review"]),
            metadata={k: v for k, v in meta.items()
                      if k not in {"features", "calibration", "threshold_fake",
                                   "threshold_review"}},
        )
        return model


def _booster_from(path: Path) -> lgb.Booster:
    """LightGBM's booster read from its text file; a file it refuses is a
    :class:`UserError`."""
    import lightgbm as lgb

    try:
        return lgb.Booster(model_file=str(path))
    except (lgb.basic.LightGBMError, ValueError) as exc:  # ValueError: its last line's JSON
        raise UserError(f"{path}: not a LightGBM text model ({exc})",
                        hint="export the model again") from exc


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_manifest(folder: Path) -> None:
    """Check every file listed in ``MANIFEST.sha256`` against its checksum.

    Raises
    ------
    UserError
        If the manifest or a listed file is missing, or a checksum differs.
    """
    manifest = folder / MANIFEST_FILE
    if not manifest.is_file():
        raise UserError(f"{folder}: no {MANIFEST_FILE}; refusing an unverifiable model",
                        hint="export the model with `fakedetect export`")
    listed: dict[str, str] = {}
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise UserError(f"{manifest} line {number}: expected 'SHA256  FILE'")
        listed[parts[1]] = parts[0]
    for required in (MODEL_FILE, METADATA_FILE):
        if required not in listed:
            raise UserError(f"{manifest}: {required} is not listed; refusing the model")
    for name, digest in listed.items():
        path = folder / name
        if "/" in name or name.startswith("."):
            raise UserError(f"{manifest}: unexpected entry {name!r}")
        if not path.is_file():
            raise UserError(f"{folder}: {name} is listed in the manifest but missing")
        if _sha256(path) != digest:
            raise UserError(
                f"{path}: does not match its checksum in {manifest.name}; the file or the "
                "manifest was modified after export",
                hint="refusing a tampered or corrupted model: export it again from the "
                     "registry")


def _json_default(obj: object) -> object:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
