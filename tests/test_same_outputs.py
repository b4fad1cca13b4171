"""Scores and reasons stay what they were before the scoring engine moved onto LightGBM.

The fixture folder ``fixtures/golden`` holds two small trained models (an account model
and an influencer model that was trained with its audience shares) and the outputs the
scoring code gave on base commit 3aaa913, made by running this module as a script
(``python -m tests.test_same_outputs --write``). The tests recompute the same outputs
with the current code and compare: probabilities, scores, margins and contributions to
1e-9 relative, verdicts, reason features and ranks exactly. Reason sentences are not
compared (their wording is not the engine's business). The fixture was written again when
amount-of-data features (history length, audience sample size) moved to the end of the
reason order; only the reason order changed then, every score stayed the same.

Two inputs are compared: rows made from the influencer model's own split thresholds
(every threshold exactly, just above and below it, zero and missing values, so that
every kind of decision is taken), large enough for every scoring path, and a small
simulated dataset scored end to end (features, audience shares through the account
model, scores, reasons).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden"
EXPECTED = GOLDEN / "expected.npz"
EXPECTED_TEXT = GOLDEN / "expected.json"
#: Synthetic rows scored (above every row-count switch of the scoring code) and the
#: stride of the rows whose outputs are stored.
ROWS, STRIDE = 3000, 30
RTOL = 1e-9
VERDICTS = ("authentic", "review", "likely fake")
SCORE_COLUMNS = ("fake_probability", "fake_probability_low", "fake_probability_high",
                 "authenticity_score", "fake_follower_share", "fake_follower_share_low",
                 "fake_follower_share_high", "audience_sample_size")


def _threshold_rows(model: Any, n: int, seed: int) -> pd.DataFrame:
    """``n`` feature rows whose values sit on, beside and between the model's split
    thresholds (read from LightGBM's own table of the trees), plus zeros and NaN."""
    trees = model.booster.trees_to_dataframe()
    splits = trees[trees["split_feature"].notna()]
    rng = np.random.default_rng(seed)
    columns = {}
    for f in model.features:
        th = np.unique(splits.loc[splits["split_feature"] == f, "threshold"].to_numpy(
            dtype=np.float64))
        th = th[np.isfinite(th)]
        candidates = np.concatenate([th, np.nextafter(th, np.inf), np.nextafter(th, -np.inf),
                                     th + 0.5, th - 0.5, [0.0, np.nan, 1.0, -1.0]])
        columns[f] = rng.choice(candidates, size=n)
    return pd.DataFrame(columns, index=pd.Index([f"r{i}" for i in range(n)],
                                                name="account_id"))


def _codes(values: pd.Series, vocabulary: Any) -> np.ndarray:
    """Positions of ``values`` in ``vocabulary`` (compact to store, compared exactly)."""
    where = {v: i for i, v in enumerate(vocabulary)}
    return np.array([where[str(v)] for v in values], dtype=np.float64)


def _simulated(tmp: Path) -> Path:
    from fakedetect.simulate import simulate

    out = tmp / "sim"
    simulate(out, accounts=400, days=60, seed=21, coverage="full")
    return out


def current_outputs(tmp: Path) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """The outputs compared, computed with the code being tested."""
    from fakedetect.model import FakeModel

    model = FakeModel.load(GOLDEN / "influencer")
    account = FakeModel.load(GOLDEN / "account")
    numbers: dict[str, np.ndarray] = {}
    texts: dict[str, list[str]] = {}
    X = _threshold_rows(model, ROWS, seed=3)
    keep = np.arange(0, ROWS, STRIDE)
    for label, frame in (("large", X), ("small", X.iloc[keep])):
        margin = model.margin(frame)
        contrib, base = model.contributions(frame)
        if label == "large":
            margin, contrib, base = margin[keep], contrib[keep], base[keep]
        # the same rows, scored alone and among many: one set of expected values
        numbers[f"{label}_margin"] = margin
        numbers[f"{label}_contrib"] = contrib[::3]  # every feature of a third of them
        numbers[f"{label}_base"] = base
    A = _threshold_rows(account, 60_000, seed=4)
    numbers["account_proba"] = account.predict_proba(A)[keep]
    numbers["account_proba_small"] = account.predict_proba(A.iloc[keep])
    try:  # where the scoring functions live now, or lived on the base commit
        from fakedetect.scoring import load_models, score_frame
    except ImportError:
        from fakedetect.predict import load_models, score_frame  # type: ignore[no-redef]

    wide = score_frame(model, X, top_reasons=3).iloc[keep]
    for col in ("fake_probability", "fake_probability_low", "fake_probability_high",
                "authenticity_score"):
        numbers[f"frame_{col}"] = wide[col].to_numpy(dtype=np.float64)
    for i in (1, 2, 3):
        numbers[f"frame_contribution_{i}"] = wide[f"contribution_{i}"].to_numpy(
            dtype=np.float64)
        numbers[f"frame_feature_{i}"] = _codes(wide[f"feature_{i}"], model.features)
    numbers["frame_verdict"] = _codes(wide["verdict"], VERDICTS)

    from fakedetect.config import Config
    from fakedetect.predict import score_dataset
    from fakedetect.validate import load_dataset

    cfg = Config(root=tmp, tracking_uri=f"sqlite:///{tmp / 'mlflow.db'}",
                 artifact_location=tmp / "mlruns", output_dir=tmp / "out",
                 report_dir=tmp / "out" / "review", data_dir=tmp / "data",
                 models_dir=tmp / "models")
    fm, scorer = load_models(cfg, str(GOLDEN / "influencer"), "influencer")
    assert scorer is not None, "the account model beside the influencer model is used"
    scored = score_dataset(load_dataset(_simulated(tmp)), fm, account_scorer=scorer,
                           top_reasons=3)
    scores = scored.scores.sort_values("account_id", kind="stable")
    texts["scores_account_id"] = scores["account_id"].astype(str).tolist()
    numbers["scores_verdict"] = _codes(scores["verdict"], ("", *VERDICTS))
    numbers["scores_scored"] = (scores["status"] == "scored").to_numpy(dtype=np.float64)
    for col in SCORE_COLUMNS:
        numbers[f"scores_{col}"] = scores[col].to_numpy(dtype=np.float64)
    reasons = scored.reasons.sort_values(["account_id", "rank"], kind="stable")
    numbers["reasons_account"] = _codes(reasons["account_id"], texts["scores_account_id"])
    numbers["reasons_feature"] = _codes(reasons["feature"], model.features)
    numbers["reasons_rank"] = reasons["rank"].to_numpy(dtype=np.float64)
    numbers["reasons_contribution"] = reasons["contribution"].to_numpy(dtype=np.float64)
    return numbers, texts


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    return current_outputs(tmp_path_factory.mktemp("same-outputs"))


def _expected() -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    with np.load(EXPECTED) as data:
        numbers = {k: data[k] for k in data.files}
    for key in ("margin", "contrib", "base"):  # the rows alone score as among many
        numbers[f"small_{key}"] = numbers[f"large_{key}"]
    return numbers, json.loads(EXPECTED_TEXT.read_text(encoding="utf-8"))


def test_every_number_is_what_it_was(outputs) -> None:
    numbers, _ = outputs
    want, _ = _expected()
    assert sorted(numbers) == sorted(want)
    for key, expected in want.items():
        got = numbers[key]
        assert got.shape == expected.shape, key
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=1e-12, equal_nan=True,
                                   err_msg=key)


def test_the_accounts_are_the_same(outputs) -> None:
    _, texts = outputs
    _, want = _expected()
    assert sorted(texts) == sorted(want)
    for key, expected in want.items():
        assert texts[key] == expected, key


def test_the_inputs_reach_every_kind_of_decision(outputs) -> None:
    """The synthetic rows are not all alike: verdicts and reasons vary."""
    numbers, _ = outputs
    assert len(set(numbers["frame_verdict"])) == 3
    assert len(set(numbers["frame_feature_1"])) > 5
    assert numbers["scores_scored"].sum() > 300
    assert np.isfinite(numbers["scores_fake_follower_share"]).sum() > 300


if __name__ == "__main__":  # pragma: no cover - writes the fixture
    import tempfile

    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python -m tests.test_same_outputs --write")
    with tempfile.TemporaryDirectory() as tmp:
        numbers, texts = current_outputs(Path(tmp))
    for key in ("margin", "contrib", "base"):
        np.testing.assert_allclose(numbers.pop(f"small_{key}"), numbers[f"large_{key}"],
                                   rtol=RTOL, atol=1e-12)
    np.savez_compressed(EXPECTED, **numbers)
    EXPECTED_TEXT.write_text(json.dumps(texts) + "\n", encoding="utf-8")
