"""A model's headline figures in words a non-data-scientist understands on first read.

One formatter for every place that states how good a model is: ``make demo``, ``fakedetect
train`` and ``models``, the registry's version descriptions and the evaluation summary.
Each line says one thing in words, with the metric's name and value in parentheses for the
data scientist; ``--json`` outputs keep the raw metric names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fakedetect.train import TrainResult

#: Metric names in words, for the parentheses and the promotion check.
METRIC_NAMES = {
    "roc_auc": "ROC-AUC", "pr_auc": "PR-AUC", "accuracy": "accuracy",
    "recall_op": "recall", "fpr_op": "false-positive rate",
    "precision_op": "precision", "ece": "calibration error", "brier": "Brier score",
    "fpr_review": "false-positive rate at review",
}


def _get(m: Mapping[str, float], key: str) -> float | None:
    v = m.get(key)
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) else v


def format_metric(m: Mapping[str, float], key: str, pct: bool = False) -> str:
    """One metric as text: ``0.867``, ``43.2%`` (``pct``), or ``n/a`` when absent or NaN."""
    v = _get(m, key)
    if v is None:
        return "n/a"
    return f"{100 * v:.1f}%" if pct else f"{v:.3f}"


def _pct(v: float) -> str:
    """A share as a percentage, one decimal below 10%, whole numbers above."""
    x = 100 * v
    return f"{x:.1f}%" if x < 10 else f"{x:.0f}%"


def metric_lines(m: Mapping[str, float], prefix: str = "test_") -> list[str]:
    """The headline figures of one measurement, one idea per line.

    Parameters
    ----------
    m : mapping
        Metrics as training and evaluation log them (``test_roc_auc``, ...).
    prefix : str
        Which measurement: ``test_`` (held-out test accounts), ``heldout_`` (held-out
        worlds), ``loso_SOURCE_`` or ``""`` (an evaluation's own metrics).

    Returns
    -------
    list of str
        Lines without a final full stop; a figure that was not measured is left out.
    """
    def get(key: str) -> float | None:
        return _get(m, prefix + key)

    lines = []
    auc = get("roc_auc")
    if auc is not None:
        lines.append(f"ranks a fake above a genuine account {_pct(auc)} of the time "
                     f"(ROC-AUC {auc:.3f})")
    recall, fpr = get("recall_op"), get("fpr_op")
    if recall is not None and fpr is not None:
        lines.append(f"at the likely-fake threshold it catches {_pct(recall)} of fakes and "
                     f"wrongly flags {_pct(fpr)} of genuine accounts (recall {recall:.3f}, "
                     f"false-positive rate {fpr:.3f})")
    review = get("fpr_review")
    if review is not None:
        lines.append(f"at the review threshold it sends {_pct(review)} of genuine accounts "
                     f"to a person (false-positive rate at review {review:.3f})")
    precision = get("precision_op")
    if precision is not None:
        lines.append(f"of the accounts it calls likely fake, {_pct(precision)} are fake "
                     f"(precision {precision:.3f})")
    ece = get("ece")
    if ece is not None:
        lines.append(f"its probabilities are off by {100 * ece:.1f} points on average "
                     f"(calibration error, ECE {ece:.3f})")
    cv, sd = _get(m, "cv_roc_auc_mean"), _get(m, "cv_roc_auc_std")
    if prefix == "test_" and cv is not None:
        spread = f" ± {100 * sd:.1f} points" if sd is not None else ""
        lines.append(f"on cross-validation folds of the training data it ranks a fake first "
                     f"{_pct(cv)} of the time{spread} (CV ROC-AUC {cv:.3f})")
    return lines


def version_summary(m: Mapping[str, float]) -> str:
    """The held-out test figures of a registered version in one short line (for
    ``fakedetect models``)."""
    auc, recall, fpr = (_get(m, "test_roc_auc"), _get(m, "test_recall_op"),
                        _get(m, "test_fpr_op"))
    parts = []
    if auc is not None:
        parts.append(f"ranks a fake first {_pct(auc)} of the time (ROC-AUC {auc:.3f})")
    if recall is not None and fpr is not None:
        parts.append(f"catches {_pct(recall)} of fakes, wrongly flags {_pct(fpr)} of "
                     "genuine accounts at likely fake")
    return "; ".join(parts) if parts else "no test figures recorded"


_CRITERION = re.compile(r"^(pass|FAIL): test (\w+) (>=|<=) ([-\d.eE+]+) \(got ([-\w.]+)\)$")
_VERSUS = re.compile(r"^(pass|FAIL): (\w+) ([-\w.]+) vs champion v(\w+) ([-\w.]+) "
                     r"on the same test data$")


def _name(metric: str) -> str:
    return METRIC_NAMES.get(metric, metric.replace("_", " "))


def _num(text: str) -> str:
    try:
        return f"{float(text):.3g}" if abs(float(text)) < 1 else f"{float(text):g}"
    except ValueError:
        return text


def gate_line(line: str) -> str:
    """A promotion-gate line of training (``TrainResult.gate``) in words.

    ``pass: test roc_auc >= 0.8 (got 0.9512)`` becomes ``promotion: passed (ROC-AUC
    0.951 >= 0.8 required)``.
    """
    if line == "no champion yet":
        return "promotion: the first version of this model, so it becomes the champion"
    found = _CRITERION.match(line)
    if found:
        verdict, metric, op, bound, got = found.groups()
        said = "passed" if verdict == "pass" else "FAILED"
        return (f"promotion: {said} ({_name(metric)} {_num(got)}, {op} {_num(bound)} "
                "required)")
    found = _VERSUS.match(line)
    if found:
        verdict, metric, new, champ, old = found.groups()
        said = "passed" if verdict == "pass" else "FAILED"
        return (f"promotion: {said} ({_name(metric)} {_num(new)} against {_num(old)} for "
                f"champion v{champ} on the same test accounts)")
    for word, said in (("HOLD: ", "promotion: held back: "), ("FAIL: ", "promotion: FAILED: "),
                       ("pass: ", "promotion: passed: ")):
        if line.startswith(word):
            return said + plain_line(line[len(word):])
    return f"promotion: {plain_line(line)}"


def plain_line(line: str) -> str:
    """A training summary line with feature ids in words and model units left out."""
    from fakedetect.drift import plain_name

    line = re.sub(r" \([+-]?\d+(\.\d+)? log-odds\)", "", line)
    line = re.sub(r"\b[a-z0-9]+__[a-z0-9_]+", lambda m: plain_name(m.group(0)), line)
    line = line.replace("log-odds", "in model units")
    line = line.replace("shortcut audit over", "signals the model may lean on too much "
                        "(possible shortcuts: they differ for genuine creators between the")
    line = re.sub(r"(simulated settings|worlds): (?!no feature)",
                  r"\1; check them on your own labelled accounts with fakedetect "
                  r"evaluate): ", line)
    line = line.replace("held-out worlds (h*)", "simulated settings never seen in training")
    return line.replace(" worlds", " simulated settings")


def transfer_lines(m: Mapping[str, float]) -> list[str]:
    """How the model did on populations it never trained on (held-out worlds, each
    left-out source), one block of lines each, from the training metrics."""
    out = []
    blocks = []
    if _get(m, "heldout_roc_auc") is not None:
        n, k = _get(m, "heldout_n"), _get(m, "heldout_positives")
        size = f" ({n:,.0f} accounts, {k:,.0f} fake)" if n is not None and k is not None else ""
        blocks.append((f"on held-out worlds, simulated settings never seen in training{size}",
                       "heldout_"))
    for key in sorted(m):
        found = re.match(r"^loso_(.+)_roc_auc$", key)
        if found and found.group(1) != "worst":
            blocks.append((f"on source {found.group(1)}, left out of training",
                           f"loso_{found.group(1)}_"))
    for title, prefix in blocks:
        out.append(f"{title}:")
        out += [f"  {line}" for line in metric_lines(m, prefix)]
    return out


def result_lines(name: str, result: TrainResult, *, shortcuts: bool = True) -> list[str]:
    """What a training run came to, in words: the version and its alias, how well it does
    on the test split and on populations it never saw, and the promotion check.

    ``shortcuts=False`` leaves out the shortcut audit's line (a data scientist's check,
    kept in ``fakedetect train``'s output and the run's metrics)."""
    lines = [f"{name} v{result.version}, now "
             f"{'the champion' if result.promoted else 'a challenger (trained, not promoted)'}",
             "on the test split (accounts kept out of training, from the same data) it:"]
    lines += [f"  {line}" for line in metric_lines(result.metrics, "test_")]
    lines += transfer_lines(result.metrics)
    lines += [plain_line(line) for line in result.transfer
              if not line.startswith(("held-out ", "left-out source "))
              and (shortcuts or not line.startswith("shortcut audit"))]
    lines += [gate_line(line) for line in result.gate]
    return lines
