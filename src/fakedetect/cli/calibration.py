"""``fakedetect calibrate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fakedetect.cli._common import (
    ConfigOpt,
    JsonOpt,
    LenientOpt,
    app,
    dataset,
    echo,
    load,
    print_json,
)


@app.command()
def calibrate(
    model: Annotated[str, typer.Option(
        help="models:/NAME@ALIAS, models:/NAME/VERSION or an exported folder.")],
    directory: Annotated[Path | None, typer.Argument(
        metavar="DATA", help="Labelled dataset folder from your market (at least 50 "
                             "accounts).", show_default=False)] = None,
    data: Annotated[Path | None, typer.Option(
        "--data", help="Same as the positional DATA.", show_default=False)] = None,
    max_fpr: Annotated[float, typer.Option(
        help="Largest share of genuine accounts called likely fake.")] = 0.02,
    review_fpr: Annotated[float, typer.Option(
        help="Largest share of genuine accounts sent to review or worse.")] = 0.10,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", file_okay=False,
        help="Folder for the new model (default: beside a folder model, or the output "
             "folder's models/ for a registry model).")] = None,
    promote: Annotated[bool, typer.Option(
        "--promote", help="Make the new version champion even if it fails the gate.")
    ] = False,
    lenient: LenientOpt = False,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
) -> int:
    """Refit the probability map, thresholds and intervals on your labelled accounts."""
    from fakedetect.calibrate import calibrate as run_calibrate
    from fakedetect.errors import UserError

    if not 0 < max_fpr <= review_fpr < 1:
        raise UserError(f"--max-fpr {max_fpr} and --review-fpr {review_fpr}: expected "
                        "0 < max-fpr <= review-fpr < 1")
    data = dataset(directory, data, command="calibrate")
    if out is not None:
        from fakedetect.io import check_output_folder

        check_output_folder(out)  # before any work
    cfg = load(config)
    res = run_calibrate(model, data, cfg, max_fpr=max_fpr, review_fpr=review_fpr,
                        out=out, promote=promote, lenient=lenient)
    b, a = res.before, res.after
    if json_:
        print_json({"model": res.model.name, "version": res.version,
                    "parent": res.model.metadata.get("parent"), "run_id": res.run_id,
                    "promoted": res.promoted, "gate": list(res.gate),
                    "data_sha256": res.digest, "folder": str(res.folder),
                    "before": {k: float(v) for k, v in b.items() if v == v},
                    "after": {k: float(v) for k, v in a.items() if v == v}})
        return 0
    echo(f"recalibrated {res.model.name} on {int(a['n']):,} labelled accounts "
         f"(data sha256 {res.digest[:12]}); figures cross-fitted over folds")
    echo(f"{'':28}{'before':>10}{'after':>10}")
    for key, label, pct in (("ece", "calibration error (ECE)", False),
                            ("brier", "Brier score", False),
                            ("fpr_fake", "false positives, likely fake", True),
                            ("fpr_review", "false positives, review+", True),
                            ("recall_fake", "recall, likely fake", True),
                            ("threshold_fake", "threshold likely fake", False),
                            ("threshold_review", "threshold review", False)):
        fmt = (lambda v: f"{100 * v:.1f}%") if pct else (lambda v: f"{v:.3f}")
        echo(f"{label:28}{fmt(b[key]):>10}{fmt(a[key]):>10}")
    for line in res.gate:
        echo(f"gate {line}")
    if res.version is not None:
        state = "champion" if res.promoted else "challenger"
        echo(f"registered {res.model.name} v{res.version} ({state}; parent "
             f"{res.model.metadata.get('parent')}), MLflow run {res.run_id}")
    echo(f"written: {res.folder}")
    return 0
