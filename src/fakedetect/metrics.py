"""Quality measures of a fake-probability model on labelled data, and their plots.

Every figure fakedetect reports comes from here, computed on data the model did not
train on: the held-out test split in training, or a user's labelled set in evaluation.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

#: Follower tiers (lower bound inclusive), as used by the influencer-marketing industry.
TIERS = (("nano", 0), ("micro", 10_000), ("mid", 50_000), ("macro", 500_000),
         ("mega", 1_000_000))


def tier_of(followers: np.ndarray) -> np.ndarray:
    """Tier name (nano, micro, mid, macro, mega) for each follower count."""
    f = np.asarray(followers, dtype=np.float64)
    bounds = np.array([b for _, b in TIERS[1:]], dtype=np.float64)
    names = np.array([n for n, _ in TIERS], dtype=object)
    return names[np.searchsorted(bounds, np.nan_to_num(f, nan=0.0), side="right")]


def threshold_for_fpr(proba: np.ndarray, y: np.ndarray, max_fpr: float) -> float:
    """The lowest probability threshold whose false-positive rate is at most ``max_fpr``.

    Parameters
    ----------
    proba : numpy.ndarray
        Fake probabilities.
    y : numpy.ndarray
        Labels, 1 = fake.
    max_fpr : float
        Largest acceptable share of genuine accounts flagged.

    Returns
    -------
    float
        Threshold ``t``: accounts with ``proba >= t`` are flagged.
    """
    neg = np.sort(np.asarray(proba, dtype=np.float64)[np.asarray(y) == 0])[::-1]
    if neg.size == 0:
        return 0.5
    allowed = int(np.floor(max_fpr * neg.size))
    if allowed >= neg.size:
        return float(neg[-1])
    # Flag strictly above the (allowed+1)-th highest genuine score.
    return float(min(1.0, np.nextafter(neg[allowed], np.inf)))


def expected_calibration_error(proba: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over equal-width probability bins.

    The mean, weighted by bin size, of ``|mean predicted - observed fake rate|``.
    """
    p = np.asarray(proba, dtype=np.float64)
    t = np.asarray(y, dtype=np.float64)
    if p.size == 0:
        return float("nan")
    idx = np.minimum((p * bins).astype(np.int64), bins - 1)
    count = np.bincount(idx, minlength=bins)
    conf = np.bincount(idx, weights=p, minlength=bins)
    hits = np.bincount(idx, weights=t, minlength=bins)
    nz = count > 0
    return float(np.sum(np.abs(conf[nz] - hits[nz])) / p.size)


def binary_metrics(y: np.ndarray, proba: np.ndarray, threshold: float,
                   score: np.ndarray | None = None) -> dict[str, float]:
    """Headline metrics of fake probabilities against labels.

    Parameters
    ----------
    y : numpy.ndarray
        Labels, 1 = fake.
    proba : numpy.ndarray
        Calibrated fake probabilities.
    threshold : float
        The operating threshold (``likely fake`` at or above).
    score : numpy.ndarray, optional
        The model's raw margin. ROC-AUC and PR-AUC rank by it when given: calibration is
        monotone but flat in places (isotonic steps, the probability floor and ceiling),
        and the ties it makes would understate how well the model ranks.

    Returns
    -------
    dict
        ``roc_auc``, ``pr_auc``, ``brier``, ``ece``, ``accuracy`` (at 0.5), and at the
        threshold: ``accuracy_op``, ``precision_op``, ``recall_op``, ``f1_op``, ``fpr_op``;
        plus ``n``, ``positives``.
    """
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y = np.asarray(y, dtype=np.int64)
    p = np.asarray(proba, dtype=np.float64)
    out: dict[str, float] = {"n": float(y.size), "positives": float(y.sum())}
    both = 0 < y.sum() < y.size
    r = p if score is None else np.asarray(score, dtype=np.float64)
    out["roc_auc"] = float(roc_auc_score(y, r)) if both else float("nan")
    out["pr_auc"] = float(average_precision_score(y, r)) if both else float("nan")
    out["brier"] = float(brier_score_loss(y, p, labels=[0, 1])) if y.size else float("nan")
    out["ece"] = expected_calibration_error(p, y)
    out["accuracy"] = float(np.mean((p >= 0.5) == y)) if y.size else float("nan")
    out.update(_at(y, p, threshold, "op"))
    return out


def _at(y: np.ndarray, p: np.ndarray, threshold: float, tag: str) -> dict[str, float]:
    pred = p >= threshold
    tp = float(np.sum(pred & (y == 1)))
    fp = float(np.sum(pred & (y == 0)))
    fn = float(np.sum(~pred & (y == 1)))
    tn = float(np.sum(~pred & (y == 0)))
    nan = float("nan")
    precision = tp / (tp + fp) if tp + fp else nan
    recall = tp / (tp + fn) if tp + fn else nan
    f1 = (2 * precision * recall / (precision + recall)
          if tp and precision == precision and recall == recall else (0.0 if tp + fn else nan))
    return {
        f"accuracy_{tag}": (tp + tn) / y.size if y.size else nan,
        f"precision_{tag}": precision,
        f"recall_{tag}": recall,
        f"f1_{tag}": f1,
        f"fpr_{tag}": fp / (fp + tn) if fp + tn else nan,
    }


def group_metrics(y: np.ndarray, proba: np.ndarray, threshold: float,
                  groups: np.ndarray, prefix: str,
                  score: np.ndarray | None = None) -> dict[str, float]:
    """Per-group ROC-AUC, recall and false-positive rate at the threshold, and size.

    Keys are ``{prefix}_{group}_{metric}``; a metric that cannot be computed for a group
    (one class only) is left out. ROC-AUC ranks by ``score`` (the raw margin) when given.
    """
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y, dtype=np.int64)
    p = np.asarray(proba, dtype=np.float64)
    r = p if score is None else np.asarray(score, dtype=np.float64)
    g = np.asarray(groups, dtype=object)
    out: dict[str, float] = {}
    for value in sorted({str(v) for v in g if v is not None and v == v}):
        m = g == value
        key = f"{prefix}_{_slug(value)}"
        out[f"{key}_n"] = float(m.sum())
        yy, pp = y[m], p[m]
        if 0 < yy.sum() < yy.size:
            out[f"{key}_roc_auc"] = float(roc_auc_score(yy, r[m]))
        at = _at(yy, pp, threshold, "op")
        if yy.sum():
            out[f"{key}_recall_op"] = at["recall_op"]
        if (yy == 0).sum():
            out[f"{key}_fpr_op"] = at["fpr_op"]
    return out


def fraud_type_recall(y: np.ndarray, proba: np.ndarray, threshold: float,
                      fraud_type: np.ndarray) -> dict[str, float]:
    """Recall at the threshold for each fraud pattern (an account counts for each of its
    ``+``-joined patterns). Keys ``recall_op_fraud_{pattern}`` and ``n_fraud_{pattern}``."""
    y = np.asarray(y, dtype=np.int64)
    pred = np.asarray(proba, dtype=np.float64) >= threshold
    types = [str(t) if t is not None and t == t else "" for t in fraud_type]
    names = sorted({part for t in types for part in t.split("+") if part and part != "none"})
    out: dict[str, float] = {}
    for name in names:
        m = np.array([name in t.split("+") for t in types]) & (y == 1)
        if m.any():
            out[f"recall_op_fraud_{_slug(name)}"] = float(pred[m].mean())
            out[f"n_fraud_{_slug(name)}"] = float(m.sum())
    return out


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text.lower()).strip("_") or "none"


def plot_curves(y: np.ndarray, proba: np.ndarray, threshold: float, out_dir: Path,
                title: str) -> list[Path]:
    """Write ROC, precision-recall, calibration and confusion-matrix plots as PNG.

    Returns
    -------
    list of Path
        The written files.
    """
    from sklearn.metrics import precision_recall_curve, roc_curve

    out_dir.mkdir(parents=True, exist_ok=True)
    y = np.asarray(y, dtype=np.int64)
    p = np.asarray(proba, dtype=np.float64)
    files: list[Path] = []
    both = 0 < y.sum() < y.size

    fig, ax = _figure((5, 4.5))
    if both:
        fpr, tpr, _ = roc_curve(y, p)
        ax.plot(fpr, tpr, color="#3b6ea8")
        op = _at(y, p, threshold, "op")
        ax.scatter([op["fpr_op"]], [op["recall_op"]], color="#c0392b", zorder=3,
                   label=f"operating point (t={threshold:.2f})")
        ax.legend(loc="lower right")
    ax.plot([0, 1], [0, 1], color="#aaaaaa", linestyle="--", linewidth=1)
    ax.set(xlabel="false-positive rate (genuine flagged)", ylabel="recall (fakes caught)",
           title=f"ROC: {title}")
    files.append(_save(fig, out_dir / "roc_curve.png"))

    fig, ax = _figure((5, 4.5))
    if both:
        prec, rec, _ = precision_recall_curve(y, p)
        ax.plot(rec, prec, color="#3b6ea8")
    ax.set(xlabel="recall", ylabel="precision", title=f"Precision-recall: {title}",
           ylim=(0, 1.02))
    files.append(_save(fig, out_dir / "pr_curve.png"))

    fig, ax = _figure((5, 4.5))
    bins = np.linspace(0, 1, 11)
    idx = np.clip(np.digitize(p, bins) - 1, 0, 9)
    cnt = np.bincount(idx, minlength=10)
    mean_p = np.bincount(idx, weights=p, minlength=10) / np.maximum(cnt, 1)
    rate = np.bincount(idx, weights=y, minlength=10) / np.maximum(cnt, 1)
    nz = cnt > 0
    ax.plot([0, 1], [0, 1], color="#aaaaaa", linestyle="--", linewidth=1)
    ax.plot(mean_p[nz], rate[nz], marker="o", color="#3b6ea8")
    ax.set(xlabel="predicted fake probability", ylabel="observed fake share",
           title=f"Calibration (ECE {expected_calibration_error(p, y):.3f})")
    files.append(_save(fig, out_dir / "calibration_curve.png"))

    fig, ax = _figure((4.5, 4))
    pred = p >= threshold
    cm = np.array([[np.sum(~pred & (y == 0)), np.sum(pred & (y == 0))],
                   [np.sum(~pred & (y == 1)), np.sum(pred & (y == 1))]])
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center",
                color="white" if v > cm.max() / 2 else "black")
    ax.set_xticks([0, 1], ["authentic", "likely fake"])
    ax.set_yticks([0, 1], ["genuine", "fake"])
    ax.set(xlabel="verdict at operating point", ylabel="label", title="Confusion matrix")
    files.append(_save(fig, out_dir / "confusion_matrix.png"))
    return files


def plot_importance(names: list[str], gain: np.ndarray, path: Path, top: int = 25) -> Path:
    """Horizontal bar chart of LightGBM gain importance."""
    order = np.argsort(gain)[::-1][:top][::-1]
    fig, ax = _figure((7, 0.3 * len(order) + 1.2))
    ax.barh([names[i] for i in order], np.asarray(gain)[order], color="#3b6ea8")
    ax.set(xlabel="total gain", title="Feature importance")
    ax.tick_params(axis="y", labelsize=7)
    return _save(fig, path)


def plot_shap_summary(contrib: np.ndarray, X: pd.DataFrame, path: Path) -> Path:
    """SHAP beeswarm summary (``shap.summary_plot``) of contributions on ``X``.

    shap draws on pyplot's current figure; the figure is written and closed here and
    never shown, whatever backend the user's process has chosen.
    """
    import matplotlib.pyplot as plt
    import shap

    plt.figure()
    with warnings.catch_warnings():
        # a feature missing for every plotted account has no colour range: shap asks
        # numpy for one anyway, and the plot draws such points grey as intended
        warnings.filterwarnings("ignore", message="All-NaN slice encountered",
                                category=RuntimeWarning)
        shap.summary_plot(contrib, X, show=False, max_display=20, plot_size=(8, 7),
                          rng=np.random.default_rng(0))
    fig = plt.gcf()
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def _figure(size: tuple[float, float]) -> tuple[Any, Any]:
    """A figure drawn by matplotlib's Agg canvas, outside pyplot (no backend is chosen
    for the process)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
