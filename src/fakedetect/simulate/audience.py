"""Follower profiles: pools of genuine and fake followers, and per-influencer samples.

By default profiles are drawn once per simulation from the distributions fitted on the
real labelled profiles (:data:`~fakedetect.simulate.params.PROFILE_COMPONENTS`), one
segment per fitted component. :func:`load_pool` takes them instead from an imported
labelled profile dataset (``fakedetect simulate --profiles DIR``), so audiences are real
profiles that the account model scoring them need not have seen. Audience samples mix
the components at each account's world weights; commenters and pod members are indices
into the same pools, so a person who follows two influencers has one profile.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fakedetect.simulate import design as d
from fakedetect.simulate.names import follower_usernames
from fakedetect.simulate.params import BIO_LIMIT, FOLLOWING_LIMIT, PROFILE_COMPONENTS


@dataclass(frozen=True)
class FollowerPool:
    """Profiles of possible followers; genuine first, then fake.

    Attributes
    ----------
    names : pyarrow.Array
        Unique usernames (strings), genuine then fake.
    followers, following, posts, bio_length : numpy.ndarray
        int32 counts per profile.
    has_profile_pic, is_private : numpy.ndarray
        bool per profile.
    n_real, n_fake : int
        Sizes of the two parts.
    real_components, fake_components : tuple of str
        Names of the segments of each part, in pool order.
    real_sizes, fake_sizes : numpy.ndarray
        Size of each segment (each prime, so any stride visits distinct profiles).
    missing : dict
        Column name to a bool array marking profiles where the value is unknown (only
        for pools loaded from a dataset).
    source : dict
        Where the profiles come from (written to ``simulation.json``).
    """

    names: object
    followers: np.ndarray
    following: np.ndarray
    posts: np.ndarray
    bio_length: np.ndarray
    has_profile_pic: np.ndarray
    is_private: np.ndarray
    n_real: int
    n_fake: int
    real_components: tuple[str, ...] = ()
    fake_components: tuple[str, ...] = ()
    real_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    fake_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    missing: dict[str, np.ndarray] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)


def next_prime(k: int) -> int:
    """The smallest prime >= ``k``."""
    k = max(k, 2)
    while True:
        if all(k % p for p in range(2, int(k**0.5) + 1)):
            return k
        k += 1


def prev_prime(k: int) -> int:
    """The largest prime <= ``k`` (2 for smaller ``k``)."""
    while k > 2:
        if all(k % p for p in range(2, int(k**0.5) + 1)):
            return k
        k -= 1
    return 2


def _component(rng: np.random.Generator, name: str, n: int,
               shape_from: str) -> dict[str, np.ndarray]:
    c = PROFILE_COMPONENTS[name]
    s = PROFILE_COMPONENTS[shape_from]
    z = rng.multivariate_normal(c["log1p_mean"], c["log1p_cov"], size=n, method="cholesky")
    counts = np.clip(np.rint(np.expm1(np.clip(z, 0, 16))), 0, 2**31 - 1)
    counts[:, 1] = np.minimum(counts[:, 1], FOLLOWING_LIMIT)
    counts[:, 2] = np.where(rng.random(n) < c["zero_posts"], 0, np.maximum(counts[:, 2], 1))
    bio = np.where(rng.random(n) < c["zero_bio"], 0,
                   np.rint(np.exp(c["bio_log_mean"] + c["bio_log_sd"] * rng.standard_normal(n))))
    length = np.clip(np.rint(rng.normal(s["name_len_mean"], s["name_len_sd"], n)), 5, 30)
    digits = np.where(rng.random(n) < s["zero_digits"], 0,
                      1 + rng.poisson(max(s["digits_mean_positive"] - 1, 0), n))
    return {
        "followers": counts[:, 0], "following": counts[:, 1], "posts": counts[:, 2],
        "bio_length": np.clip(bio, 0, BIO_LIMIT),
        "has_profile_pic": rng.random(n) < c["pic"],
        "is_private": rng.random(n) < s["private"],
        "length": length.astype(np.int64),
        "digits": np.minimum(digits, length - 2).astype(np.int64),
    }


def _unique_names(rng: np.random.Generator, length: np.ndarray,
                  digits: np.ndarray) -> list[str]:
    names = follower_usernames(rng, length, digits)
    seen: set[str] = set()
    dup: list[int] = []
    for k, name in enumerate(names):
        if name in seen:
            dup.append(k)
        else:
            seen.add(name)
    attempt = 0
    while dup:
        idx = np.asarray(dup)
        attempt += 1
        # Collisions are short names; lengthen them a little after a few tries.
        fresh = follower_usernames(rng, length[idx] + attempt // 4, digits[idx])
        dup = []
        for k, name in zip(idx.tolist(), fresh, strict=True):
            if name in seen:
                dup.append(k)
            else:
                seen.add(name)
                names[k] = name
    return names


def build_pool(rng: np.random.Generator, accounts: int) -> FollowerPool:
    """Draw the follower pools for a simulation of ``accounts`` influencers.

    Each fitted component of :data:`~fakedetect.simulate.design.GENUINE_FOLLOWER_MIX`
    and :data:`~fakedetect.simulate.design.FAKE_FOLLOWER_MIX` gets its own segment,
    sized by its default weight.

    Parameters
    ----------
    rng : numpy.random.Generator
    accounts : int
        Influencers simulated; pool sizes grow with it up to fixed bounds.

    Returns
    -------
    FollowerPool
    """
    import pyarrow as pa

    n_real = int(np.clip(accounts * d.REAL_POOL_PER_ACCOUNT, *d.REAL_POOL_RANGE))
    n_fake = int(np.clip(accounts * d.FAKE_POOL_PER_ACCOUNT, *d.FAKE_POOL_RANGE))
    parts, sizes = [], {}
    for mix, total, shape in ((d.GENUINE_FOLLOWER_MIX, n_real, "instafake_real"),
                              (d.FAKE_FOLLOWER_MIX, n_fake, "instafake_fake")):
        w = sum(mix.values())
        for name, weight in mix.items():
            size = next_prime(int(total * weight / w))
            parts.append(_component(rng, name, size, shape))
            sizes[name] = size
    both = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    names = _unique_names(rng, both["length"], both["digits"])
    real_sizes = np.asarray([sizes[k] for k in d.GENUINE_FOLLOWER_MIX], dtype=np.int64)
    fake_sizes = np.asarray([sizes[k] for k in d.FAKE_FOLLOWER_MIX], dtype=np.int64)
    return FollowerPool(
        names=pa.array(names, type=pa.string()),
        followers=both["followers"].astype(np.int32),
        following=both["following"].astype(np.int32),
        posts=both["posts"].astype(np.int32),
        bio_length=both["bio_length"].astype(np.int32),
        has_profile_pic=both["has_profile_pic"],
        is_private=both["is_private"],
        n_real=int(real_sizes.sum()),
        n_fake=int(fake_sizes.sum()),
        real_components=tuple(d.GENUINE_FOLLOWER_MIX),
        fake_components=tuple(d.FAKE_FOLLOWER_MIX),
        real_sizes=real_sizes,
        fake_sizes=fake_sizes,
        source={"kind": "fitted", "components": sizes},
    )


#: Profile columns a loaded pool takes from the dataset's accounts table.
_POOL_COLUMNS = ("followers", "following", "posts", "bio_length", "has_profile_pic",
                 "is_private")
#: Fewest profiles a loaded component needs (more than the largest audience sample).
MIN_COMPONENT = d.AUDIENCE_SAMPLE[1] + 11


def profile_fold(ids: Any, folds: int) -> np.ndarray:
    """The cross-fitting fold of each profile id: a stable hash of the id modulo ``folds``.

    The same ids always land in the same fold, so the account model can be trained on
    the other folds of the same labelled set.

    Parameters
    ----------
    ids : array-like of str
        Account ids.
    folds : int

    Returns
    -------
    numpy.ndarray
        Fold per id, ``0 .. folds - 1``.
    """
    import pandas as pd

    h = pd.util.hash_pandas_object(pd.Series(np.asarray(ids, dtype=object), dtype=object),
                                   index=False).to_numpy()
    return (h % np.uint64(folds)).astype(np.int64)


def load_pool(rng: np.random.Generator, path: str | Path,
              fold: tuple[int, int] | None = None) -> FollowerPool:
    """Follower pools from an imported labelled profile dataset (accounts and labels).

    Genuine rows (``is_fake`` 0) form the genuine pool and fake rows the fake pool, one
    segment per ``labels.source`` (one segment when there is no source). Each segment
    keeps the largest prime number of its rows (shuffled), so strides visit distinct
    profiles. Usernames are generated in the shape of the InstaFake class rather than
    copied, so no third-party handle appears in a simulated dataset; unknown values
    stay unknown.

    Parameters
    ----------
    rng : numpy.random.Generator
    path : path-like
        Dataset folder (e.g. written by ``fakedetect import purba``).
    fold : (int, int), optional
        ``(i, k)``: keep only the profiles in fold ``i`` of ``k``
        (:func:`profile_fold`), so an account model trained on the other folds has not
        seen them.

    Returns
    -------
    FollowerPool

    Raises
    ------
    UserError
        When the dataset has no labels, or a class has too few profiles.
    """
    import pyarrow as pa

    from fakedetect.errors import UserError
    from fakedetect.validate import load_dataset

    ds = load_dataset(path)
    lab = ds.get("labels")
    if lab is None:
        raise UserError(f"{path}: --profiles needs a labels table",
                        hint="import a labelled profile set, e.g. fakedetect import purba")
    acc = ds.accounts
    code = np.full(len(acc), -1)
    code[lab["account_id"].cat.codes.to_numpy()] = lab["is_fake"].to_numpy(dtype=int)
    if fold is not None:
        ids = acc["account_id"].astype(str).to_numpy()
        code[profile_fold(ids, fold[1]) != fold[0]] = -1
    src = np.full(len(acc), "profiles", dtype=object)
    if "source" in lab:
        given = lab["source"].astype("string").fillna("profiles").to_numpy(dtype=object)
        src[lab["account_id"].cat.codes.to_numpy()] = given
    cols: dict[str, list[np.ndarray]] = {c: [] for c in (*_POOL_COLUMNS, "length", "digits")}
    miss: dict[str, list[np.ndarray]] = {c: [] for c in _POOL_COLUMNS}
    comps: dict[str, list[str]] = {"real": [], "fake": []}
    sizes: dict[str, list[int]] = {"real": [], "fake": []}
    for cls, label, shape in (("real", 0, "instafake_real"), ("fake", 1, "instafake_fake")):
        for source in sorted(set(src[code == label])):
            rows = np.flatnonzero((code == label) & (src == source))
            if len(rows) < MIN_COMPONENT:
                continue
            rows = rng.permutation(rows)[:prev_prime(len(rows))]
            for c in _POOL_COLUMNS:
                if c in acc:
                    v = acc[c].iloc[rows]
                    miss[c].append(v.isna().to_numpy())
                    cols[c].append(v.to_numpy(dtype=float, na_value=0.0).astype(np.int64))
                else:
                    miss[c].append(np.ones(len(rows), dtype=bool))
                    cols[c].append(np.zeros(len(rows), dtype=np.int64))
            shaped = _component(rng, shape, len(rows), shape)
            cols["length"].append(shaped["length"])
            cols["digits"].append(shaped["digits"])
            comps[cls].append(f"{source}_{cls}")
            sizes[cls].append(len(rows))
        if not comps[cls]:
            raise UserError(f"{path}: fewer than {MIN_COMPONENT} {cls} profiles "
                            "with a label", hint="--profiles needs a labelled set with "
                                                 "both genuine and fake profiles")
    both = {c: np.concatenate(v) for c, v in cols.items()}
    names = _unique_names(rng, both["length"], both["digits"])
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted(Path(path).iterdir())
               if p.is_file() and p.stem in ("accounts", "labels")}
    real_sizes = np.asarray(sizes["real"], dtype=np.int64)
    fake_sizes = np.asarray(sizes["fake"], dtype=np.int64)
    return FollowerPool(
        names=pa.array(names, type=pa.string()),
        followers=both["followers"].astype(np.int32),
        following=np.minimum(both["following"], 2**31 - 1).astype(np.int32),
        posts=np.minimum(both["posts"], 2**31 - 1).astype(np.int32),
        bio_length=np.clip(both["bio_length"], 0, BIO_LIMIT).astype(np.int32),
        has_profile_pic=both["has_profile_pic"].astype(bool),
        is_private=both["is_private"].astype(bool),
        n_real=int(real_sizes.sum()), n_fake=int(fake_sizes.sum()),
        real_components=tuple(comps["real"]), fake_components=tuple(comps["fake"]),
        real_sizes=real_sizes, fake_sizes=fake_sizes,
        missing={c: np.concatenate(v) for c, v in miss.items() if np.concatenate(v).any()},
        source={"kind": "dataset", "path": str(Path(path).resolve()), "sha256": digests,
                "fold": None if fold is None else {
                    "index": fold[0], "folds": fold[1],
                    "rule": "fakedetect.simulate.audience.profile_fold(account_id, folds) "
                            "== index"},
                "components": dict(zip(comps["real"] + comps["fake"],
                                       sizes["real"] + sizes["fake"], strict=True))},
    )


def mix_weights(pool: FollowerPool, world: dict[str, np.ndarray]
                ) -> tuple[np.ndarray, np.ndarray]:
    """Weights of the pool's genuine and fake segments, per world.

    For the fitted pools the world sets them (``genuine_purba_share``,
    ``fake_instafake_share``); a loaded pool's segments are weighted by size.

    Parameters
    ----------
    pool : FollowerPool
    world : dict of numpy.ndarray
        Each world parameter, one value per world.

    Returns
    -------
    real, fake : numpy.ndarray
        ``(worlds, segments)`` weights summing to 1 per row.
    """
    n = len(world["genuine_purba_share"])
    if pool.real_components == ("instafake_real", "purba_r"):
        p = world["genuine_purba_share"]
        real = np.column_stack([1 - p, p])
    else:
        real = np.tile(pool.real_sizes / pool.real_sizes.sum(), (n, 1))
    if pool.fake_components == ("instafake_fake", "purba_a", "purba_i", "purba_s"):
        q = world["fake_instafake_share"]
        rest = (1 - q) / 3
        fake = np.column_stack([q, rest, rest, rest])
    else:
        fake = np.tile(pool.fake_sizes / pool.fake_sizes.sum(), (n, 1))
    return real, fake


def strided(start: np.ndarray, step: np.ndarray, k: np.ndarray,
            size: int | np.ndarray) -> np.ndarray:
    """Pool index ``(start + k * step) mod size``: distinct for distinct ``k < size``."""
    return ((start.astype(np.int64) + k.astype(np.int64) * step.astype(np.int64)) % size)


def _segment_rank(key: np.ndarray) -> np.ndarray:
    """Rank of each element among the earlier elements with the same key."""
    order = np.argsort(key, kind="stable")
    sk = key[order]
    first = np.r_[True, sk[1:] != sk[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(sk)), 0))
    rank = np.empty(len(key), dtype=np.int64)
    rank[order] = np.arange(len(sk)) - start
    return rank


def _pick(rng: np.random.Generator, weights: np.ndarray, world: np.ndarray) -> np.ndarray:
    """A segment per sampled follower, drawn from the weights of its world.

    One sorted table holds ``w + cumulative weights`` of every world ``w``, so a single
    ``searchsorted`` of ``w + u`` finds each follower's segment.
    """
    n_worlds, n_seg = weights.shape
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    flat = (cum + np.arange(n_worlds)[:, None]).ravel()
    pos = np.searchsorted(flat, world + rng.random(len(world)), side="right")
    return np.minimum(pos - world * n_seg, n_seg - 1)


def sample_audience(rng: np.random.Generator, pool: FollowerPool, fake_share: np.ndarray,
                    community: dict[str, np.ndarray], world: np.ndarray, real_w: np.ndarray,
                    fake_w: np.ndarray) -> dict[str, np.ndarray]:
    """Sample 100-200 followers per influencer, fake ones at its true fake share.

    Parameters
    ----------
    rng : numpy.random.Generator
    pool : FollowerPool
    fake_share : numpy.ndarray
        True share of fake followers per account at the end of the window.
    community : dict
        ``start``, ``step``, ``size`` of each account's genuine community, and
        ``fake_start``, ``fake_step`` of its fake followers, applied within each segment.
    world : numpy.ndarray
        World code per account.
    real_w, fake_w : numpy.ndarray
        ``(worlds, segments)`` weights of the pool's genuine and fake segments
        (:func:`mix_weights`).

    Returns
    -------
    dict of numpy.ndarray
        ``row`` (block row of the influencer), ``pool`` (global pool index) and
        ``is_fake`` per sampled follower.
    """
    n = len(fake_share)
    lo, hi = d.AUDIENCE_SAMPLE
    m = rng.integers(lo, hi + 1, n)
    n_fake = rng.binomial(m, np.clip(fake_share, 0, 1))
    row = np.repeat(np.arange(n), m)
    first = np.cumsum(m) - m
    k = np.arange(len(row)) - np.repeat(first, m)
    is_fake = k < np.repeat(n_fake, m)
    real, fake = np.flatnonzero(~is_fake), np.flatnonzero(is_fake)
    seg = np.empty(len(row), dtype=np.int64)
    seg[real] = _pick(rng, real_w, world[row[real]])
    seg[fake] = _pick(rng, fake_w, world[row[fake]])
    width = max(len(pool.real_sizes), len(pool.fake_sizes))
    rank = _segment_rank((row * 2 + is_fake) * width + seg)
    offset = rng.integers(0, 1 << 30, n)
    idx = np.empty(len(row), dtype=np.int64)
    r, s = row[real], seg[real]
    size = pool.real_sizes[s]
    lo_r = np.cumsum(pool.real_sizes) - pool.real_sizes
    idx[real] = lo_r[s] + strided(
        community["start"][r] % size, 1 + community["step"][r] % (size - 1),
        (offset[r] + rank[real]) % np.minimum(community["size"][r], size), size)
    r, s = row[fake], seg[fake]
    size = pool.fake_sizes[s]
    lo_f = pool.n_real + np.cumsum(pool.fake_sizes) - pool.fake_sizes
    idx[fake] = lo_f[s] + strided(
        community["fake_start"][r] % size, 1 + community["fake_step"][r] % (size - 1),
        rank[fake], size)
    return {"row": row, "pool": idx, "is_fake": is_fake}
