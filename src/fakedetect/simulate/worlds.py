"""Worlds: populations that differ in their parameters, for domain randomisation.

Each simulated account belongs to one world, and each world draws its population
parameters (:data:`~fakedetect.simulate.design.WORLD_RANGES`) once: the engagement curve
by tier, posting cadence, growth noise and seasonality, the genuine fake-follower share,
the mix of follower profiles, comment style, confounder and fraud rates, username
styles and data coverage. Training worlds (``w00``, ``w01``, ...) draw from the
documented ranges and ``w00`` is the default world; held-out worlds (``h00``, ...) draw
from wider ranges, so a model can be judged on populations it never saw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fakedetect.simulate import design as d

#: Parameter names, in the column order of :attr:`Worlds.values`.
PARAMS: tuple[str, ...] = tuple(d.WORLD_RANGES)
#: Spawn keys of the training and held-out worlds' random streams.
_STREAM_TRAIN, _STREAM_HELDOUT = 3, 4


@dataclass(frozen=True)
class Worlds:
    """The worlds of one simulation.

    Attributes
    ----------
    ids : tuple of str
        World ids: ``w00`` .. for training worlds, then ``h00`` .. for held-out ones.
    values : numpy.ndarray
        ``(len(ids), len(PARAMS))`` parameter values.
    """

    ids: tuple[str, ...]
    values: np.ndarray

    def per_account(self, world: np.ndarray) -> dict[str, np.ndarray]:
        """Each parameter per account, from the accounts' world codes."""
        return {name: self.values[world, k] for k, name in enumerate(PARAMS)}

    def manifest(self) -> dict[str, dict[str, float]]:
        """World id to its parameters (JSON-ready, rounded to 6 significant digits)."""
        return {wid: {name: float(f"{v:.6g}") for name, v in zip(PARAMS, row, strict=True)}
                for wid, row in zip(self.ids, self.values, strict=True)}


def span_bounds(name: str, widen: float = 1.0) -> tuple[float, float]:
    """The range a parameter is drawn from, widened ``widen`` times around its default.

    Parameters
    ----------
    name : str
        A key of :data:`~fakedetect.simulate.design.WORLD_RANGES`.
    widen : float
        Multiplier on both half-widths (in log space for log parameters).

    Returns
    -------
    (float, float)
        Lower and upper bound, clipped to the parameter's floor and ceiling.
    """
    s = d.WORLD_RANGES[name]
    if s.log:
        c = np.log(s.default)
        lo = np.exp(c - widen * (c - np.log(s.low)))
        hi = np.exp(c + widen * (np.log(s.high) - c))
    else:
        lo = s.default - widen * (s.default - s.low)
        hi = s.default + widen * (s.high - s.default)
    return float(max(lo, s.floor)), float(min(hi, s.ceiling))


def _draw(rng: np.random.Generator, widen: float) -> np.ndarray:
    out = np.empty(len(PARAMS))
    for k, name in enumerate(PARAMS):
        lo, hi = span_bounds(name, widen)
        if d.WORLD_RANGES[name].log:
            out[k] = np.exp(rng.uniform(np.log(lo), np.log(hi)))
        else:
            out[k] = rng.uniform(lo, hi)
    return out


def make_worlds(seed: int, train: int, heldout: int = 0) -> Worlds:
    """Draw ``train`` training worlds and ``heldout`` held-out worlds.

    World ``w00`` takes every default; each other world draws from its own random
    stream ``(seed, kind, index)``, so adding worlds never changes the earlier ones.

    Parameters
    ----------
    seed : int
    train : int
        Training worlds (at least 1).
    heldout : int
        Held-out worlds, drawn from ranges :data:`~fakedetect.simulate.design.HELDOUT_WIDEN`
        times wider.

    Returns
    -------
    Worlds
    """
    default = np.asarray([d.WORLD_RANGES[name].default for name in PARAMS])
    rows = [default]
    for k in range(1, train):
        rows.append(_draw(np.random.default_rng(np.random.SeedSequence(
            seed, spawn_key=(_STREAM_TRAIN, k))), 1.0))
    for k in range(heldout):
        rows.append(_draw(np.random.default_rng(np.random.SeedSequence(
            seed, spawn_key=(_STREAM_HELDOUT, k))), d.HELDOUT_WIDEN))
    ids = tuple(f"w{k:02d}" for k in range(train)) + tuple(f"h{k:02d}" for k in range(heldout))
    return Worlds(ids=ids, values=np.vstack(rows))


def tier_multiplier(followers: np.ndarray, world: dict[str, np.ndarray]) -> np.ndarray:
    """The world's multiplier on the tier engagement curve at ``followers``.

    The three tier multipliers (``er_nano``, ``er_micro``, ``er_mid``) sit at the tiers'
    geometric middles and are interpolated in log-log space between them (held flat
    beyond), so the default world (all 1) leaves the curve unchanged.

    Parameters
    ----------
    followers : numpy.ndarray
    world : dict
        Per-account parameters (:meth:`Worlds.per_account`).

    Returns
    -------
    numpy.ndarray
    """
    from fakedetect.simulate.params import TIER_BANDS

    xs = np.log([np.sqrt(lo * hi) for lo, hi, _, _ in TIER_BANDS.values()])
    ys = np.log(np.column_stack([world["er_nano"], world["er_micro"], world["er_mid"]]))
    x = np.clip(np.log(np.maximum(followers, 1.0)), xs[0], xs[-1])
    seg = np.clip(np.searchsorted(xs, x) - 1, 0, len(xs) - 2)
    frac = (x - xs[seg]) / (xs[seg + 1] - xs[seg])
    rows = np.arange(len(x))
    return np.exp(ys[rows, seg] * (1 - frac) + ys[rows, seg + 1] * frac)


def world_ranges() -> dict[str, dict[str, object]]:
    """Each parameter's default, training range and held-out range (JSON-ready)."""
    out: dict[str, dict[str, object]] = {}
    for name, span in d.WORLD_RANGES.items():
        out[name] = {"default": span.default, "train": list(span_bounds(name)),
                     "heldout": [float(f"{v:.6g}") for v in span_bounds(name, d.HELDOUT_WIDEN)],
                     "log": span.log, "doc": span.doc}
    return out
