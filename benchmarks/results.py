"""Reproduce every row of the results table in ``docs/results.md``.

Imports the public labelled sets (InstaFake profiles, Purba 4-class) from
``../shared/data``, simulates ``realistic`` influencer histories, trains each experiment of
``training/`` in its own scratch MLflow store (never the project's ``mlflow.db``), runs the
cross-dataset evaluations and prints the tables as Markdown::

    nice .venv/bin/python benchmarks/results.py                 # ~10 minutes on 2 cores
    nice .venv/bin/python benchmarks/results.py --work /tmp/res --keep

Every figure comes from the same functions the CLI calls (``run_import``, ``simulate``,
``train``, ``evaluate``); the ``command`` column gives the equivalent CLI calls. The
influencer row uses a copy of ``training/influencer.yaml`` with ``operating_point.max_fpr``
set to 0.01, so its per-fraud-type recall is measured at a threshold chosen on
out-of-fold predictions for at most 1% false positives, then applied once to the held-out
test split.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

#: Account-task features both InstaFake and Purba provide (the cross-dataset models).
COMMON_FEATURES = (
    "accounts__log_followers",
    "accounts__log_following",
    "accounts__log_posts",
    "accounts__follower_following_ratio__log",
    "accounts__posts_per_follower__log",
    "accounts__bio_length",
    "accounts__has_profile_pic",
)

INFLUENCER_MAX_FPR = 0.02
#: Simulated worlds: training worlds and held-out worlds (wider ranges, never trained on).
WORLDS, HELDOUT_WORLDS = 8, 2


@dataclass
class Row:
    """One line of the headline table."""

    experiment: str
    data: str
    metric: str
    ours: str
    published: str
    command: str
    unseen: str = ""


@dataclass
class Results:
    """Everything measured, for the tables and ``results.json``."""

    rows: list[Row] = field(default_factory=list)
    fraud: dict[str, tuple[float, int]] = field(default_factory=dict)
    influencer: dict[str, float] = field(default_factory=dict)
    cross: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, dict[str, float]] = field(default_factory=dict)


def _store(work: Path, name: str) -> Any:
    """A fresh folder with its own ``mlflow.yml`` (SQLite store inside it)."""
    from fakedetect.config import load_config

    folder = work / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "mlflow.yml", folder / "mlflow.yml")
    # mlflow.set_tracking_uri also sets MLFLOW_TRACKING_URI, which load_config obeys:
    # without this every store after the first would be the first
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    return load_config(folder / "mlflow.yml")


def _experiment_copy(src: Path, dest: Path, **changes: Any) -> Path:
    """Write a copy of an experiment YAML with top-level or nested keys replaced."""
    import yaml

    raw = yaml.safe_load(src.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if isinstance(value, dict):
            raw.setdefault(key, {}).update(value)
        else:
            raw[key] = value
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(
        f"# Copy of {src.relative_to(ROOT)} for benchmarks/results.py; "
        f"changed: {', '.join(changes)}\n" + yaml.safe_dump(raw, sort_keys=False),
        encoding="utf-8",
    )
    return dest


def _train(data: Path | list[Path], yaml_path: Path, cfg: Any) -> Any:
    from fakedetect.experiment import load_experiment
    from fakedetect.train import train

    exp = load_experiment(yaml_path)
    started = time.perf_counter()
    res = train(data, exp, cfg, log=lambda s: print(f"    {s}", flush=True))
    print(
        f"  trained {exp.name} on "
        f"{data.name if isinstance(data, Path) else ' + '.join(d.name for d in data)} "
        f"in {time.perf_counter() - started:.0f} s", flush=True
    )
    return res


def _counts(res: Any, cfg: Any) -> tuple[int, int]:
    """Labelled accounts trained on and duplicates dropped, from the run's parameters."""
    from fakedetect import tracking

    params = tracking.connect(cfg).get_run(res.run_id).data.params
    return int(params["n_labelled"]), int(params["duplicates_dropped"])


def _pct(m: dict[str, float], key: str) -> str:
    return f"{100 * m[key]:.2f}%"


def _missing_features(model_features: list[str], train: Path, evaluate: Path) -> list[str]:
    """Model inputs known for some training accounts but missing for every evaluated one."""
    from fakedetect.features import build_features
    from fakedetect.validate import load_dataset

    known = build_features(load_dataset(train), "account")[model_features].notna().any()
    absent = build_features(load_dataset(evaluate), "account")[model_features].isna().all()
    return [f for f in model_features if known[f] and absent[f]]


def run(shared: Path, work: Path, accounts: int, days: int, sim_seed: int) -> Results:
    """Import, simulate, train, evaluate; return every figure."""
    from fakedetect.evaluate import evaluate
    from fakedetect.importers import run_import
    from fakedetect.simulate import simulate

    out = Results()
    data = work / "data"
    instafake, purba, sim = data / "instafake", data / "purba", data / "sim-realistic"
    print("importing and simulating", flush=True)
    run_import("instafake", shared / "instafake", instafake, part="profiles", force=True)
    run_import("purba", shared / "purba" / "user_fake_authentic_4class.csv", purba, force=True)
    # Audiences drawn from Purba's real profiles, scored by an account model trained on
    # InstaFake: the follower pools meet the account model as real audiences will.
    simulate(sim, accounts=accounts, days=days, seed=sim_seed, worlds=WORLDS,
             heldout_worlds=HELDOUT_WORLDS, profiles=purba)

    # 1. InstaFake profiles; the same store then trains the influencer model, whose
    #    audience features use this account model (it has the audience table's fields).
    cfg_if = _store(work, "instafake-influencer")
    res_if = _train(instafake, ROOT / "training" / "account-instafake.yaml", cfg_if)
    m = res_if.metrics
    out.raw["account-instafake"] = m
    out.rows.append(
        Row(
            "account-instafake",
            "InstaFake fake/real profiles ({:,} accounts; {:,} exact duplicates dropped "
            "before the split)".format(*_counts(res_if, cfg_if)),
            "accuracy, 5-fold CV",
            f"{_pct(m, 'cv_accuracy_mean')} ± {100 * m['cv_accuracy_std']:.2f} "
            f"(held-out test {_pct(m, 'test_accuracy')}; ROC-AUC CV "
            f"{m['cv_roc_auc_mean']:.3f} ± {m['cv_roc_auc_std']:.3f}, test "
            f"{m['test_roc_auc']:.3f})",
            "96% (Akyon & Kalfaoglu 2019, SMOTE-NC)",
            "`fakedetect import instafake ../shared/data/instafake --out data/instafake "
            "--part profiles && fakedetect train --task account --data data/instafake "
            "--experiment training/account-instafake.yaml`",
        )
    )

    # 2. Purba binary (r vs a/i/s), duplicates dropped, held-out test.
    cfg_pb = _store(work, "purba")
    res_pb = _train(purba, ROOT / "training" / "account-purba.yaml", cfg_pb)
    m = res_pb.metrics
    out.raw["account-purba"] = m
    out.rows.append(
        Row(
            "account-purba",
            f"Purba et al. r vs a/i/s ({_counts(res_pb, cfg_pb)[0]:,} accounts; 1,082 exact "
            "duplicates dropped on import)",
            "accuracy, held-out test (20%)",
            f"{_pct(m, 'test_accuracy')} (CV {_pct(m, 'cv_accuracy_mean')} ± "
            f"{100 * m['cv_accuracy_std']:.2f}; ROC-AUC test {m['test_roc_auc']:.4f}, CV "
            f"{m['cv_roc_auc_mean']:.4f} ± {m['cv_roc_auc_std']:.4f})",
            "up to 91.76% (Purba et al. 2020, random forest, abstract)",
            "`fakedetect import purba ../shared/data/purba/user_fake_authentic_4class.csv "
            "--out data/purba && fakedetect train --task account --data data/purba "
            "--experiment training/account-purba.yaml`",
        )
    )

    # 2b. Both real sources together on the fields they share, each left out in turn.
    cfg_un = _store(work, "union")
    res_un = _train([instafake, purba], ROOT / "training" / "account-union.yaml", cfg_un)
    m = res_un.metrics
    out.raw["account-union"] = m
    out.rows.append(
        Row(
            "account-union",
            f"InstaFake + Purba on the {len(res_un.model.features)} profile fields both "
            f"have ({_counts(res_un, cfg_un)[0]:,} accounts), sources and classes weighted "
            "equally",
            "ROC-AUC, held-out test (20%)",
            f"{m['test_roc_auc']:.3f} (CV {m['cv_roc_auc_mean']:.3f} ± "
            f"{m['cv_roc_auc_std']:.3f}); false positives {_pct(m, 'test_fpr_op')} at "
            "likely fake",
            "none (no published pooled model)",
            "`fakedetect train --task account --experiment training/account-union.yaml` "
            "(after both imports above)",
            unseen="; ".join(
                f"left-out {src}: ROC-AUC {m[f'loso_{src}_roc_auc']:.3f} (goal >= 0.95), "
                f"false positives {_pct(m, f'loso_{src}_fpr_op')} at likely fake (goal <= "
                f"{200 * res_un.model.metadata['max_fpr']:.0f}%), ECE "
                f"{m[f'loso_{src}_ece']:.3f}"
                for src in ("instafake", "purba")
            ),
        )
    )

    # 3. Influencer model on simulated worlds, held-out worlds measured apart.
    infl_yaml = _experiment_copy(
        ROOT / "training" / "influencer.yaml",
        work / "instafake-influencer" / "influencer.yaml",
        operating_point={"max_fpr": INFLUENCER_MAX_FPR},
    )
    res_in = _train(sim, infl_yaml, cfg_if)
    m = res_in.metrics
    out.raw["influencer"] = m
    out.influencer = {
        k: m[k]
        for k in (
            "test_roc_auc",
            "test_pr_auc",
            "test_recall_op",
            "test_fpr_op",
            "threshold_fake",
            "cv_roc_auc_mean",
            "cv_roc_auc_std",
            "test_ece",
        )
    }
    out.influencer.update({k: v for k, v in m.items() if k.startswith(("heldout_",
                                                                         "shortcut_"))})
    out.influencer["shortcuts"] = res_in.transfer
    for key, value in m.items():
        if key.startswith("test_recall_op_fraud_"):
            pattern = key.removeprefix("test_recall_op_fraud_")
            out.fraud[pattern] = (value, int(m[f"test_n_fraud_{pattern}"]))
    out.rows.append(
        Row(
            "influencer",
            f"simulated, {accounts:,} accounts x {days} days, seed {sim_seed}, "
            f"{WORLDS} training worlds, partial coverage, audiences from Purba's real "
            "profiles scored by the InstaFake account model",
            "ROC-AUC, ECE and false positives at likely fake, held-out test (training "
            "worlds)",
            f"ROC-AUC {m['test_roc_auc']:.3f} (CV {m['cv_roc_auc_mean']:.3f} ± "
            f"{m['cv_roc_auc_std']:.3f}), ECE {m['test_ece']:.3f}; recall "
            f"{_pct(m, 'test_recall_op')} at false positives {_pct(m, 'test_fpr_op')}",
            "none (no public labelled influencer data)",
            f"`fakedetect simulate --accounts {accounts} --days {days} --seed {sim_seed} "
            f"--worlds {WORLDS} --heldout-worlds {HELDOUT_WORLDS} --profiles data/purba --out "
            "data/sim && fakedetect train --task account --data data/instafake --experiment "
            "training/account-instafake.yaml && fakedetect train --task influencer --data "
            "data/sim --experiment training/influencer.yaml`",
            unseen=(
                f"{HELDOUT_WORLDS} held-out worlds ({int(m['heldout_n']):,} accounts): ROC-AUC "
                f"{m['heldout_roc_auc']:.3f} (goal >= 0.90), ECE {m['heldout_ece']:.3f} "
                f"(goal <= 0.05), false positives {_pct(m, 'heldout_fpr_op')} at likely "
                f"fake (goal <= {200 * INFLUENCER_MAX_FPR:.0f}%) and "
                f"{_pct(m, 'heldout_fpr_review')} at review; recall "
                f"{_pct(m, 'heldout_recall_op')}"
                if "heldout_roc_auc" in m else "none"
            ),
        )
    )

    # 4. Cross-dataset: full models as shipped, and models on the common features only.
    cfg_x = _store(work, "cross")
    common = {}
    for name, src_data in (("account-instafake", instafake), ("account-purba", purba)):
        y = _experiment_copy(
            ROOT / "training" / f"{name}.yaml",
            work / "cross" / f"{name}-common.yaml",
            name=f"{name}-common",
            features=list(COMMON_FEATURES),
        )
        common[name] = _train(src_data, y, cfg_x)
        out.raw[f"{name}-common"] = common[name].metrics
    pairs = (
        ("InstaFake", "Purba", "full", res_if, instafake, purba),
        ("InstaFake", "Purba", "common", common["account-instafake"], instafake, purba),
        ("Purba", "InstaFake", "full", res_pb, purba, instafake),
        ("Purba", "InstaFake", "common", common["account-purba"], purba, instafake),
    )
    for train_name, eval_name, kind, res, train_data, eval_data in pairs:
        ev = evaluate(
            str(res.folder),
            eval_data,
            cfg_x,
            out=work / "cross" / f"{train_name}-to-{eval_name}-{kind}",
        )
        missing = _missing_features(res.model.features, train_data, eval_data)
        em = ev.metrics
        out.cross.append(
            {
                "train": train_name,
                "evaluate": eval_name,
                "features": kind,
                "n_features": len(res.model.features),
                "missing": missing,
                "in_domain_test_roc_auc": res.metrics["test_roc_auc"],
                "in_domain_test_accuracy": res.metrics["test_accuracy"],
                "roc_auc": em["roc_auc"],
                "accuracy": em["accuracy"],
                "recall_op": em["recall_op"],
                "fpr_op": em["fpr_op"],
                "threshold": res.model.threshold_fake,
                "n": em["n"],
                "positives": em["positives"],
                "fraud": {
                    k.removeprefix("recall_op_fraud_"): v
                    for k, v in em.items()
                    if k.startswith("recall_op_fraud_")
                },
            }
        )
        print(f"  {train_name} -> {eval_name} ({kind}): ROC-AUC {em['roc_auc']:.3f}", flush=True)
    for row in out.rows:
        for c in out.cross:
            if c["features"] == "full" and row.experiment == f"account-{c['train'].lower()}":
                row.unseen = (
                    f"{c['evaluate']}: ROC-AUC {c['roc_auc']:.3f}, false positives "
                    f"{100 * c['fpr_op']:.1f}% at likely fake (recall "
                    f"{100 * c['recall_op']:.1f}%)"
                )
    return out


def markdown(res: Results) -> str:
    """The results as Markdown tables."""
    lines = [
        "| experiment | data | metric | ours (± CV std over 5 folds) | on a population it "
        "never trained on | published | command |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.experiment} | {r.data} | {r.metric} | {r.ours} | {r.unseen or 'none'} | "
        f"{r.published} | {r.command} |"
        for r in res.rows
    ]
    inf = res.influencer
    lines += [
        "",
        f"Influencer model, held-out test: threshold {inf['threshold_fake']:.3f} "
        f"chosen on out-of-fold predictions for at most {INFLUENCER_MAX_FPR:.0%} false "
        f"positives; test false-positive rate {100 * inf['test_fpr_op']:.2f}%, "
        f"overall recall {100 * inf['test_recall_op']:.1f}%.",
        "",
        "| fraud pattern | fraudulent test accounts | recall at the "
        f"{INFLUENCER_MAX_FPR:.0%} FPR threshold |",
        "|---|---|---|",
    ]
    lines += [
        f"| `{p}` | {n} | {100 * r:.1f}% |"
        for p, (r, n) in sorted(res.fraud.items(), key=lambda kv: -kv[1][0])
    ]
    lines += ["", "Influencer model on the held-out worlds and the shortcut audit:"]
    lines += [f"- {line}" for line in inf.get("shortcuts", [])]
    lines += [
        "",
        "| trained on | evaluated on | features | missing in the evaluation "
        "data | ROC-AUC (in-domain test) | accuracy at 0.5 (in-domain test) | recall / "
        "FPR at the model's threshold |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in res.cross:
        missing = ", ".join(f.removeprefix("accounts__") for f in c["missing"]) or "none"
        lines.append(
            f"| {c['train']} | {c['evaluate']} ({int(c['n']):,}, {int(c['positives']):,} "
            f"fake) | {c['features']} ({c['n_features']}) | {missing} | {c['roc_auc']:.3f} "
            f"({c['in_domain_test_roc_auc']:.3f}) | {100 * c['accuracy']:.1f}% "
            f"({100 * c['in_domain_test_accuracy']:.1f}%) | {100 * c['recall_op']:.1f}% / "
            f"{100 * c['fpr_op']:.1f}% |"
        )
    for c in res.cross:
        if c["fraud"]:
            per = ", ".join(f"{k} {100 * v:.1f}%" for k, v in sorted(c["fraud"].items()))
            lines.append(
                f"\n{c['train']} -> {c['evaluate']} ({c['features']}): recall per class at "
                f"the model's threshold: {per}."
            )
    return "\n".join(lines)


def main() -> int:
    """Run everything and print the tables; exit 1 when the shared data is absent."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=ROOT.parent / "shared" / "data",
        help="folder with instafake/ and purba/ (default ../shared/data)",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        help="scratch folder (default: a temporary folder, removed)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--sim-seed", type=int, default=1)
    args = parser.parse_args()
    if not (args.shared / "instafake").is_dir() or not (args.shared / "purba").is_dir():
        print(
            f"{args.shared}: InstaFake and Purba data not found (expected instafake/ and "
            "purba/ there); pass --shared",
            file=sys.stderr,
        )
        return 1
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    started = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="fakedetect-results-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        res = run(args.shared.resolve(), work.resolve(), args.accounts, args.days, args.sim_seed)
        (work / "results.json").write_text(
            json.dumps(
                {
                    "rows": [r.__dict__ for r in res.rows],
                    "fraud": res.fraud,
                    "influencer": res.influencer,
                    "cross": res.cross,
                    "raw": res.raw,
                },
                indent=2,
                default=float,
            ),
            encoding="utf-8",
        )
        print()
        print(markdown(res))
        print(
            f"\nin {time.perf_counter() - started:.0f} s; scratch folder {work}"
            + ("" if args.keep or args.work else " (removed)")
        )
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
