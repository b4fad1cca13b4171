"""The values one calculator module computes, filled by feature name and checked against
the registry, so the registry is the only list of the features' names."""

from __future__ import annotations

import numpy as np

from fakedetect.features.registry import COVERAGE_COLUMNS, FEATURES


def group_names(group: str) -> tuple[str, ...]:
    """Names of the registered features of ``group``, in registry order.

    Parameters
    ----------
    group : str
        ``profile``, ``engagement``, ``growth``, ``comments`` or ``audience``.

    Returns
    -------
    tuple of str
    """
    return tuple(f.name for f in FEATURES if f.group == group)


class Outputs(dict[str, np.ndarray]):
    """Per-account values of one group's features (and coverage flags), set by name.

    Every registered feature of the group starts as NaN. Setting a name that is neither
    a feature of the group nor a coverage column raises :class:`KeyError`, so a feature
    computed but not registered (or a misspelt name) fails at once instead of being
    dropped silently.

    Parameters
    ----------
    group : str
        The registry group the calculator fills.
    m : int
        Accounts in the block.
    """

    def __init__(self, group: str, m: int) -> None:
        self.group = group
        self.names = group_names(group)
        super().__init__((name, np.full(m, np.nan)) for name in self.names)

    def __setitem__(self, name: str, values: np.ndarray) -> None:
        if name not in self.names and name not in COVERAGE_COLUMNS:
            raise KeyError(f"{name!r} is not a registered {self.group} feature; add it to "
                           "fakedetect.features.registry.FEATURES")
        super().__setitem__(name, values)

    def keep_where(self, keep: np.ndarray, *, besides: tuple[str, ...] = ()) -> None:
        """Set every feature of the group to NaN where ``keep`` is false (coverage flags
        and the features in ``besides`` are left as they are).

        Parameters
        ----------
        keep : numpy.ndarray
            One flag per account.
        besides : tuple of str
            Features that do not depend on ``keep``.
        """
        for name in self.names:
            if name not in besides:
                self[name] = np.where(keep, self[name], np.nan)
