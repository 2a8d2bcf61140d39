"""Thresholds learnt from history by the number of alarms they would have raised."""

import numpy as np

from .robust import FloatArray


def threshold_for_budget(path: FloatArray, episodes: float, minimum: float) -> float:
    """Smallest threshold that the history crosses upwards at most ``episodes`` times.

    Calibrating on the number of separate episodes (not on a quantile of readings) matches
    what users notice: how many alarms a threshold would have raised. A long real episode in
    the history (a holiday, guests) then costs one alarm, not hundreds of readings.

    Args:
        path: Evidence per reading (NaN for missing readings).
        episodes: Allowed number of upward crossings.
        minimum: Lower bound of the result.

    Returns:
        The threshold.
    """
    values = np.where(np.isfinite(path), path, -np.inf)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return minimum
    # Walk down from the top: the answer is the lowest threshold of the top range in which
    # every threshold stays within the budget (usually found in the first chunk).
    candidates = np.unique(np.quantile(finite, np.linspace(0.5, 1.0, 1001)))[::-1]
    previous = np.r_[-np.inf, values[:-1]]
    best = float(candidates[0]) * 1.01 + 1e-9
    for chunk in np.array_split(candidates, max(1, candidates.size // 50)):
        above = values[None, :] >= chunk[:, None]
        crossings = np.sum(above & (previous[None, :] < chunk[:, None]), axis=1)
        over = np.flatnonzero(crossings > episodes)
        if over.size:
            if over[0] > 0:
                best = float(chunk[over[0] - 1])
            return max(best, minimum)
        best = float(chunk[-1])
    return max(best, minimum)


def tail_threshold(path: FloatArray, rate: float, level: float = 1.0) -> float:
    """Threshold exceeded by a fraction ``rate`` of readings, from an exponential tail fit.

    A short history has seen too few extremes for counting alone: its largest value is a
    poor guess of next month's. The excesses over ``level`` (the P99 distance, so about 1 %
    of readings) are fitted with an exponential tail, which extrapolates smoothly.

    Args:
        path: Evidence per reading, scaled so that ``level`` is a moderately high quantile.
        rate: Wanted fraction of readings above the threshold.
        level: Where the tail starts.

    Returns:
        The threshold, or ``level`` when the tail is too thin to fit.
    """
    finite = path[np.isfinite(path)]
    excess = finite[finite > level] - level
    if excess.size < 5 or finite.size == 0:
        return level
    share = excess.size / finite.size
    return level + max(float(np.log(share / rate)), 0.0) * float(np.mean(excess))
