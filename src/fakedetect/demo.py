"""``make demo``: the main job end to end on an embedded default, in a few minutes.

1. simulate labelled follower profiles and labelled influencer histories (8 training
   worlds and 2 held-out worlds, partial coverage);
2. train and register the account model, then the influencer model (whose audience
   features use the account model) in the local MLflow store;
3. simulate fresh influencers, score them, export the models and write the review report;
4. print where everything is.

Run with ``python -m fakedetect.demo [--config mlflow.yml] [--accounts N]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from fakedetect.errors import UserError


def profiles_dataset(out: Path, *, genuine: int, fake: int, seed: int) -> Path:
    """Write a labelled single-profile dataset drawn from the simulator's follower pools.

    The pools are the simulator's genuine and fake follower profiles, fitted on the real
    InstaFake and Purba profiles (see ``data/README.md``): an embedded default for the
    account model when no real labelled set is at hand.

    Parameters
    ----------
    out : Path
        Dataset folder to write (accounts and labels, Parquet).
    genuine, fake : int
        Profiles of each class.
    seed : int

    Returns
    -------
    Path
    """
    import pandas as pd

    from fakedetect.io import write_table
    from fakedetect.simulate.audience import build_pool

    rng = np.random.default_rng(seed)
    pool = build_pool(rng, accounts=max(genuine, fake))
    real_idx = rng.choice(pool.n_real, size=min(genuine, pool.n_real), replace=False)
    fake_idx = pool.n_real + rng.choice(pool.n_fake, size=min(fake, pool.n_fake),
                                        replace=False)
    idx = np.sort(np.concatenate([real_idx, fake_idx]))
    names = np.asarray(pool.names.to_pylist(), dtype=object)[idx]  # type: ignore[attr-defined]
    is_fake = (idx >= pool.n_real).astype(np.int64)
    ids = [f"profile-{k:06d}" for k in range(len(idx))]
    accounts = pd.DataFrame({
        "account_id": ids,
        "platform": "instagram",
        "username": names,
        "followers": pool.followers[idx],
        "following": pool.following[idx],
        "posts": pool.posts[idx],
        "has_profile_pic": pool.has_profile_pic[idx],
        "is_private": pool.is_private[idx],
        "bio_length": pool.bio_length[idx],
    })
    labels = pd.DataFrame({"account_id": ids, "is_fake": is_fake,
                           "fraud_type": np.where(is_fake == 1, "fake", "none")})
    write_table(accounts, out / "accounts.parquet")
    write_table(labels, out / "labels.parquet")
    return out


def run(config: str | None = None, *, accounts: int = 4000, fresh: int = 400,
        days: int = 120, profiles: int = 4000) -> dict[str, Path]:
    """Run the demo; return the paths it wrote.

    Parameters
    ----------
    config : str, optional
        Path of ``mlflow.yml`` (default: the one in the working directory).
    accounts : int
        Simulated influencers to train on.
    fresh : int
        Fresh influencers to score and review.
    days : int
        Days of history per influencer.
    profiles : int
        Labelled follower profiles the account model trains on (a quarter fake).
    """
    from fakedetect.config import load_config
    from fakedetect.experiment import default_experiment, load_experiment
    from fakedetect.headline import result_lines
    from fakedetect.predict import score_dataset, write_scores
    from fakedetect.report import write_report
    from fakedetect.scoring import load_models
    from fakedetect.simulate import simulate
    from fakedetect.train import train
    from fakedetect.validate import load_dataset

    cfg = load_config(config)
    say = print
    t0 = time.perf_counter()
    data = cfg.data_dir
    say(f"[1/6] simulating {accounts:,} influencers x {days} days and labelled profiles "
        f"into {data}")
    fake_profiles = profiles // 4
    profiles_dir = profiles_dataset(data / "profiles", genuine=profiles - fake_profiles,
                                    fake=fake_profiles, seed=11)
    train_dir = data / "train"
    from fakedetect.progress import ProgressBar

    with ProgressBar("simulating", unit="blocks of 1,000 accounts") as bar:
        simulate(train_dir, accounts=accounts, days=days, seed=7, progress=bar, worlds=8,
                 heldout_worlds=2)
    say("[2/6] training the account model (fake follower profiles)")
    exp_file = cfg.root / "training" / "account-demo.yaml"
    acc_exp = (load_experiment(exp_file) if exp_file.is_file()
               else default_experiment("account"))
    acc = train(profiles_dir, acc_exp, cfg, log=lambda s: say(f"      {s}"))
    for line in result_lines(cfg.model_name("account"), acc):
        say(f"      {line}")
    say("[3/6] training the influencer model")
    inf_exp = load_experiment(cfg.root / "training" / "influencer.yaml")
    inf = train(train_dir, inf_exp, cfg, log=lambda s: say(f"      {s}"))
    for line in result_lines(cfg.model_name("influencer"), inf, shortcuts=False):
        say(f"      {line}")
    say(f"[4/6] simulating {fresh:,} fresh influencers and scoring them")
    new_dir = data / "new"
    simulate(new_dir, accounts=fresh, days=days, seed=2026)
    dataset = load_dataset(new_dir)
    model_uri = f"models:/{cfg.model_name('influencer')}/{inf.version}"
    model, scorer = load_models(cfg, model_uri, "influencer")
    scored = score_dataset(dataset, model, top_reasons=3, account_scorer=scorer,
                           all_reasons=True)
    out = cfg.output_dir
    scores_path = write_scores(scored.scores, out / "scores.csv")
    for note in scored.notes:  # what `fakedetect predict` says on the same data
        say(f"      note: {note}")
    say("[5/6] exporting verified model folders")
    exported = out / "models"
    model.save(exported / "influencer")
    load_models(cfg, f"models:/{cfg.model_name('account')}/{acc.version}",
                "account")[0].save(exported / "account")
    say("[6/6] writing the review report")
    info = {"name": model.name, "version": model.version, "uri": model_uri,
            "threshold_review": model.threshold_review,
            "threshold_fake": model.threshold_fake,
            "trained_at": model.metadata.get("trained_at", ""),
            "metrics": model.metadata.get("metrics", {}),
            "sources": model.metadata.get("sources", []),
            "warnings": list(scored.notes)}
    index = write_report(cfg.report_dir, scores=scored.scores, reasons=scored.reasons,
                         dataset=dataset, model=info)
    verdicts = scored.scores["verdict"].replace("", "not scored").value_counts()
    say("")
    say(f"done in {time.perf_counter() - t0:.0f} s. Verdicts on the fresh accounts: "
        + ", ".join(f"{k} {v}" for k, v in verdicts.items()))
    say(f"  scores         {scores_path}")
    say(f"  review report  {index}")
    say(f"  model folders  {exported}/influencer, {exported}/account")
    say(f"  datasets       {data}")
    say(f"  MLflow UI      .venv/bin/mlflow ui --backend-store-uri {cfg.tracking_uri}")
    riskiest = scored.scores.sort_values("fake_probability", ascending=False)
    say(f"  try            .venv/bin/fakedetect explain {riskiest['account_id'].iloc[0]} "
        f"{new_dir}")
    return {"scores": scores_path, "report": index, "models": exported}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry of the demo."""
    parser = argparse.ArgumentParser(prog="python -m fakedetect.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=None)
    parser.add_argument("--accounts", type=int, default=4000)
    parser.add_argument("--fresh", type=int, default=400)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--profiles", type=int, default=4000,
                        help="Labelled follower profiles for the account model.")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="Show library warnings and log messages.")
    args = parser.parse_args(argv)
    from fakedetect.cli._common import quiet_libraries

    try:
        with quiet_libraries(args.verbose):
            run(args.config, accounts=args.accounts, fresh=args.fresh, days=args.days,
                profiles=args.profiles)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
