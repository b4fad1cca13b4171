"""Vectorised reductions over segments of a flat array (one segment per account).

Rows of a table sorted by account form contiguous segments: the rows of account ``k``
are ``[starts[k], starts[k] + counts[k])``. Every per-account statistic is computed over
the whole array at once with :func:`numpy.bincount`, ``ufunc.reduceat`` and per-segment
sorts, never with a Python loop over accounts.

Per-segment sorting (for medians, MADs, top-k sums and Gini coefficients) sorts rows of
a matrix: runs of consecutive segments of equal length are reshaped in place, the rest
are gathered by length. Both are one :func:`numpy.sort` call per distinct length, which
is much faster than a global :func:`numpy.lexsort` on (account, value).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

#: Consecutive equal-length segments sorted as one reshaped block when at least this many.
MIN_RUN = 64


@dataclass(frozen=True)
class Segments:
    """Segments of a flat array given by sorted segment codes.

    Attributes
    ----------
    codes : numpy.ndarray
        Segment (account) index of every row, ascending, as int64.
    counts : numpy.ndarray
        Rows per segment (length ``n``).
    starts : numpy.ndarray
        First row of every segment (length ``n``).
    """

    codes: np.ndarray
    counts: np.ndarray
    starts: np.ndarray

    @classmethod
    def from_codes(cls, codes: np.ndarray, n: int) -> Segments:
        """Build segments from ascending codes in ``[0, n)``.

        Parameters
        ----------
        codes : numpy.ndarray
            Segment index of every row, ascending.
        n : int
            Number of segments (segments without rows are allowed).
        """
        codes = np.asarray(codes, dtype=np.int64)
        if codes.size and (codes[0] < 0 or codes[-1] >= n):
            raise ValueError(f"codes must lie in [0, {n})")
        bounds = np.searchsorted(codes, np.arange(n + 1, dtype=np.int64), side="left")
        return cls(codes, np.diff(bounds), bounds[:-1])

    @property
    def n(self) -> int:
        """Number of segments."""
        return len(self.counts)

    @property
    def size(self) -> int:
        """Number of rows."""
        return len(self.codes)

    @property
    def ends(self) -> np.ndarray:
        """One past the last row of every segment."""
        return self.starts + self.counts

    def position(self) -> np.ndarray:
        """Position of every row inside its segment (0 for the first row)."""
        return np.arange(self.size, dtype=np.int64) - self.starts[self.codes]

    def position_from_end(self) -> np.ndarray:
        """Rows after this one in its segment (0 for the last row)."""
        return self.ends[self.codes] - 1 - np.arange(self.size, dtype=np.int64)

    def filter(self, mask: np.ndarray) -> Segments:
        """Segments over the rows where ``mask`` is true (same number of segments)."""
        mask = np.asarray(mask, dtype=bool)
        counts = np.zeros(self.n, dtype=np.int64)
        nonempty, starts = self._nonempty_starts
        if starts.size:
            counts[nonempty] = np.add.reduceat(mask.view(np.int8), starts, dtype=np.int64)
        return Segments(self.codes[mask], counts, np.cumsum(counts) - counts)

    def broadcast(self, per_segment: np.ndarray) -> np.ndarray:
        """Repeat a per-segment value onto every row of the segment."""
        return np.asarray(per_segment)[self.codes]

    # ----------------------------------------------------------------- sums and means

    @cached_property
    def _nonempty_starts(self) -> tuple[np.ndarray, np.ndarray]:
        nonempty = self.counts > 0
        return nonempty, self.starts[nonempty]

    def _add(self, values: np.ndarray) -> np.ndarray:
        """Per-segment sum of NaN-free values (contiguous, so ``add.reduceat``)."""
        out = np.zeros(self.n)
        nonempty, starts = self._nonempty_starts
        if starts.size:
            out[nonempty] = np.add.reduceat(values, starts)
        return out

    def count(self, values: np.ndarray | None = None) -> np.ndarray:
        """Finite values per segment (rows per segment when ``values`` is None)."""
        if values is None or not _has_nonfinite(values):
            return self.counts.astype(np.float64)
        return self._add(np.isfinite(values).astype(np.float64))

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of the finite values per segment (0 for an empty segment)."""
        v = np.asarray(values, dtype=np.float64)
        if _has_nonfinite(v):
            v = np.where(np.isfinite(v), v, 0.0)
        return self._add(v)

    def mean(self, values: np.ndarray) -> np.ndarray:
        """Mean of the finite values per segment (NaN when there are none)."""
        v = np.asarray(values, dtype=np.float64)
        finite = np.isfinite(v)
        if finite.all():
            n, total = self.counts.astype(np.float64), self._add(v)
        else:
            n, total = self._add(finite.astype(np.float64)), self._add(np.where(finite, v, 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, total / np.maximum(n, 1), np.nan)

    def std(self, values: np.ndarray, ddof: int = 0) -> np.ndarray:
        """Standard deviation of the finite values per segment (two-pass, NaN if too few)."""
        n = self.count(values)
        mu = self.mean(values)
        dev = values - mu[self.codes]
        ss = self.sum(dev * dev)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > ddof, np.sqrt(ss / np.maximum(n - ddof, 1)), np.nan)

    def max(self, values: np.ndarray) -> np.ndarray:
        """Maximum of the finite values per segment (NaN when there are none)."""
        return self._reduce(np.fmax, values)

    def min(self, values: np.ndarray) -> np.ndarray:
        """Minimum of the finite values per segment (NaN when there are none)."""
        return self._reduce(np.fmin, values)

    def _reduce(self, ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
        out = np.full(self.n, np.nan)
        nonempty, starts = self._nonempty_starts
        if not starts.size:
            return out
        v = np.asarray(values, dtype=np.float64)
        if np.isinf(v).any():
            v = np.where(np.isfinite(v), v, np.nan)
        out[nonempty] = ufunc.reduceat(v, starts)
        return out

    def argmax_first(self, values: np.ndarray) -> np.ndarray:
        """Row index of the first maximum of every segment (-1 if no finite value)."""
        mx = self.max(values)
        hit = np.flatnonzero(values == mx[self.codes])
        out = np.full(self.n, -1, dtype=np.int64)
        if hit.size:
            seg = self.codes[hit]
            first = np.ones(hit.size, dtype=bool)
            first[1:] = seg[1:] != seg[:-1]
            out[seg[first]] = hit[first]
        return out

    def first(self, values: np.ndarray) -> np.ndarray:
        """Value of the first row of every segment (NaN for an empty segment)."""
        out = np.full(self.n, np.nan)
        ok = self.counts > 0
        out[ok] = values[self.starts[ok]]
        return out

    def last(self, values: np.ndarray) -> np.ndarray:
        """Value of the last row of every segment (NaN for an empty segment)."""
        out = np.full(self.n, np.nan)
        ok = self.counts > 0
        out[ok] = values[self.ends[ok] - 1]
        return out

    def _finite_mean(self, values: np.ndarray) -> np.ndarray:
        """:meth:`mean` of values known to be finite."""
        n = self.counts
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, self._add(np.asarray(values, dtype=np.float64))
                            / np.maximum(n, 1), np.nan)

    def _finite_pairs(self, x: np.ndarray, y: np.ndarray
                      ) -> tuple[Segments, np.ndarray, np.ndarray]:
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.all():
            return self, x, y
        return self.filter(ok), x[ok], y[ok]

    def corr(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Pearson correlation of ``x`` and ``y`` per segment over rows where both are
        finite (NaN when a variance is zero or fewer than 2 rows)."""
        s, x, y = self._finite_pairs(x, y)
        n = s.count()
        mx, my = s._finite_mean(x), s._finite_mean(y)
        dx, dy = x - mx[s.codes], y - my[s.codes]
        sxy, sxx, syy = s.sum(dx * dy), s.sum(dx * dx), s.sum(dy * dy)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = sxy / np.sqrt(sxx * syy)
        return np.where((n >= 2) & (sxx > 0) & (syy > 0), np.clip(r, -1.0, 1.0), np.nan)

    def slope(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Least-squares slope of ``y`` on ``x`` per segment (NaN if ``x`` is constant)."""
        s, x, y = self._finite_pairs(x, y)
        mx, my = s._finite_mean(x), s._finite_mean(y)
        dx = x - mx[s.codes]
        sxx = s.sum(dx * dx)
        sxy = s.sum(dx * (y - my[s.codes]))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where((s.count() >= 2) & (sxx > 0), sxy / sxx, np.nan)

    # ------------------------------------------------------------ order statistics

    def sort(self, values: np.ndarray) -> np.ndarray:
        """Sort the values inside every segment (NaN last), keeping the layout.

        Parameters
        ----------
        values : numpy.ndarray
            One value per row.

        Returns
        -------
        numpy.ndarray
            float64 array of the same length; segment ``k`` occupies the same rows,
            ascending.
        """
        v = np.asarray(values, dtype=np.float64)
        out = v.copy()
        counts = self.counts
        if self.size == 0:
            return out
        # Runs of consecutive segments with the same length become one reshaped block.
        change = np.flatnonzero(np.diff(counts) != 0) + 1
        run_start = np.concatenate(([0], change))
        run_len = np.diff(np.concatenate((run_start, [len(counts)])))
        run_count = counts[run_start]
        big = (run_len >= MIN_RUN) & (run_count > 1)
        covered = np.zeros(len(counts), dtype=bool)
        for r0, rl, L in zip(run_start[big], run_len[big], run_count[big], strict=True):
            lo = self.starts[r0]
            hi = lo + rl * L
            out[lo:hi].reshape(rl, L).sort(axis=1)  # in place, on the copy
            covered[r0:r0 + rl] = True
        rest = np.flatnonzero(~covered & (counts > 1))
        if rest.size:
            order = rest[np.argsort(counts[rest], kind="stable")]
            lengths = counts[order]
            cut = np.flatnonzero(np.diff(lengths) != 0) + 1
            for grp in np.split(order, cut):
                L = int(counts[grp[0]])
                idx = self.starts[grp][:, None] + np.arange(L, dtype=np.int64)[None, :]
                out[idx] = np.sort(v[idx], axis=1)
        return out

    def median(self, values: np.ndarray) -> np.ndarray:
        """Median of the finite values per segment (NaN when there are none)."""
        ok = np.isfinite(values)
        s = self if ok.all() else self.filter(ok)
        return s.sorted_median(s.sort(np.asarray(values, dtype=np.float64)[ok]))

    def sorted_median(self, sorted_values: np.ndarray) -> np.ndarray:
        """Median per segment of values already sorted by :meth:`sort` (no NaN)."""
        out = np.full(self.n, np.nan)
        ok = self.counts > 0
        lo = self.starts[ok] + (self.counts[ok] - 1) // 2
        hi = self.starts[ok] + self.counts[ok] // 2
        out[ok] = (sorted_values[lo] + sorted_values[hi]) / 2.0
        return out

    def median_mad(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Median and median absolute deviation of the finite values per segment."""
        ok = np.isfinite(values)
        s = self if ok.all() else self.filter(ok)
        v = np.asarray(values, dtype=np.float64)[ok]
        med = s.sorted_median(s.sort(v))
        mad = s.sorted_median(s.sort(np.abs(v - med[s.codes])))
        return med, mad

    def top_sum(self, sorted_values: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Sum of the ``k[s]`` largest values of every segment.

        Parameters
        ----------
        sorted_values : numpy.ndarray
            Output of :meth:`sort` (ascending within segments, no NaN).
        k : numpy.ndarray
            How many values to sum per segment (clipped to the segment length).
        """
        k = np.clip(np.asarray(k, dtype=np.int64), 0, self.counts)
        return range_reduce(np.add, sorted_values, self.ends - k, self.ends, 0.0)

    def gini(self, values: np.ndarray) -> np.ndarray:
        """Gini coefficient of the finite, non-negative values per segment.

        ``G = sum_i (2 i - n - 1) x_(i) / (n sum x)`` with ``x_(i)`` ascending, ``i`` from
        1; NaN when the sum is 0.
        """
        ok = np.isfinite(values)
        s = self if ok.all() else self.filter(ok)
        xs = s.sort(np.asarray(values, dtype=np.float64)[ok])
        i = s.position() + 1
        n = s.counts[s.codes]
        num = s.sum((2 * i - n - 1) * xs)
        tot = s.sum(xs)
        cnt = s.counts.astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(tot > 0, num / (cnt * tot), np.nan)


def _has_nonfinite(values: np.ndarray) -> bool:
    v = np.asarray(values)
    return v.dtype.kind == "f" and not np.isfinite(v).all()


def range_reduce(ufunc: np.ufunc, values: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 empty: float) -> np.ndarray:
    """Reduce ``values[lo[i]:hi[i]]`` with ``ufunc`` for every ``i``, vectorised.

    Parameters
    ----------
    ufunc : numpy.ufunc
        E.g. ``np.add``, ``np.fmin``.
    values : numpy.ndarray
    lo, hi : numpy.ndarray
        Half-open ranges; an empty range (``lo >= hi``) gives ``empty``.
    empty : float
        Result for an empty range.
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    out = np.full(len(lo), empty, dtype=np.float64)
    ok = hi > lo
    if not ok.any():
        return out
    v = np.append(np.asarray(values, dtype=np.float64), 0.0)
    idx = np.empty(2 * int(ok.sum()), dtype=np.int64)
    idx[0::2] = lo[ok]
    idx[1::2] = hi[ok]
    out[ok] = ufunc.reduceat(v, idx)[0::2]
    return out
