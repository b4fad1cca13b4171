"""Follower profiles: pools of genuine and fake followers, and per-influencer samples.

Profiles are drawn once per simulation from the distributions fitted on the real labelled
profiles (:data:`~fakedetect.simulate.params.PROFILE_COMPONENTS`), mixed per class as
:mod:`~fakedetect.simulate.design` says. Audience samples, commenters and pod members are
indices into these pools, so a person who follows two influencers has one profile.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        Sizes of the two parts (both prime, so any stride visits distinct profiles).
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


def next_prime(k: int) -> int:
    """The smallest prime >= ``k``."""
    k = max(k, 2)
    while True:
        if all(k % p for p in range(2, int(k**0.5) + 1)):
            return k
        k += 1


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


def _class(rng: np.random.Generator, mix: dict[str, float], n: int,
           shape_from: str) -> dict[str, np.ndarray]:
    names = list(mix)
    w = np.asarray([mix[k] for k in names])
    which = rng.choice(len(names), size=n, p=w / w.sum())
    parts = [_component(rng, name, int(np.sum(which == k)), shape_from)
             for k, name in enumerate(names)]
    out = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    order = np.argsort(np.concatenate([np.flatnonzero(which == k)
                                       for k in range(len(names))]), kind="stable")
    return {key: v[order] for key, v in out.items()}


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

    n_real = next_prime(int(np.clip(accounts * d.REAL_POOL_PER_ACCOUNT, *d.REAL_POOL_RANGE)))
    n_fake = next_prime(int(np.clip(accounts * d.FAKE_POOL_PER_ACCOUNT, *d.FAKE_POOL_RANGE)))
    real = _class(rng, d.GENUINE_FOLLOWER_MIX, n_real, "instafake_real")
    fake = _class(rng, d.FAKE_FOLLOWER_MIX, n_fake, "instafake_fake")
    both = {k: np.concatenate([real[k], fake[k]]) for k in real}
    names = _unique_names(rng, both["length"], both["digits"])
    return FollowerPool(
        names=pa.array(names, type=pa.string()),
        followers=both["followers"].astype(np.int32),
        following=both["following"].astype(np.int32),
        posts=both["posts"].astype(np.int32),
        bio_length=both["bio_length"].astype(np.int32),
        has_profile_pic=both["has_profile_pic"],
        is_private=both["is_private"],
        n_real=n_real,
        n_fake=n_fake,
    )


def strided(start: np.ndarray, step: np.ndarray, k: np.ndarray, size: int) -> np.ndarray:
    """Pool index ``(start + k * step) mod size``: distinct for distinct ``k < size``."""
    return ((start.astype(np.int64) + k.astype(np.int64) * step.astype(np.int64)) % size)


def sample_audience(rng: np.random.Generator, pool: FollowerPool, fake_share: np.ndarray,
                    community: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Sample 100-200 followers per influencer, fake ones at its true fake share.

    Parameters
    ----------
    rng : numpy.random.Generator
    pool : FollowerPool
    fake_share : numpy.ndarray
        True share of fake followers per account at the end of the window.
    community : dict
        ``start``, ``step``, ``size`` of each account's genuine community in the real
        pool, and ``fake_start``, ``fake_step`` of its fake followers in the fake pool.

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
    k_real = k - np.repeat(n_fake, m)
    offset = rng.integers(0, 1 << 30, n)
    real_idx = strided(community["start"][row], community["step"][row],
                       (offset[row] + k_real) % community["size"][row], pool.n_real)
    fake_idx = pool.n_real + strided(community["fake_start"][row], community["fake_step"][row],
                                     k, pool.n_fake)
    return {"row": row, "pool": np.where(is_fake, fake_idx, real_idx), "is_fake": is_fake}
