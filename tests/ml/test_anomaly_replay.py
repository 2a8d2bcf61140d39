"""The replay fits every day's profile at once and must equal fitting them one at a time."""

from zoneinfo import ZoneInfo

import numpy as np
import pytest

from custom_components.foresight.ml.anomaly.profile import (
    HOURS_PER_WEEK,
    REFIT_HOURS,
    build_profile,
    local_slots,
)
from custom_components.foresight.ml.anomaly.replay import replay_bands
from custom_components.foresight.ml.synthetic import synthetic_home

ZONE = ZoneInfo("Europe/Berlin")


def _one_day_at_a_time(
    hours: np.ndarray, values: np.ndarray, slots: np.ndarray, hods: np.ndarray, weeks: int
) -> np.ndarray:
    """What the detector does online: a profile per day, on the weeks before it."""
    bands = np.full((len(hours), 3), np.nan)
    for start in range(int(hours[0]), int(hours[-1]) + 1, REFIT_HOURS):
        first, stop = np.searchsorted(hours, [start, start + REFIT_HOURS])
        if first == stop:
            continue
        window = slice(np.searchsorted(hours, start - weeks * HOURS_PER_WEEK), first)
        profile = build_profile(
            hours[window],
            values[window],
            slots[window],
            hods[window],
            now_hour=start,
            weeks=weeks,
            with_band=False,
        )
        if profile is not None:
            bands[first:stop] = profile.expect_many(slots[first:stop], hods[first:stop])
    return bands


def _history(days: int, seed: int, *, gaps: float, excluded: float) -> tuple[np.ndarray, ...]:
    # From late February: the replay crosses the switch to summer time (a local hour repeated
    # or skipped within one week's slots).
    frame = synthetic_home(days, start="2025-02-20", seed=seed, gap_fraction=gaps)
    frame = frame[frame["target"].notna()]
    hours = np.asarray(frame.index.asi8 // 3_600_000_000_000, dtype=np.int64)
    values = frame["target"].to_numpy(dtype=float).copy()
    rng = np.random.default_rng(seed)
    values[rng.random(len(values)) < excluded] = np.nan
    slots, hods = local_slots(hours, ZONE)
    return hours, values, slots, hods


@pytest.mark.parametrize(
    ("days", "seed", "gaps", "excluded", "weeks"),
    [
        (120, 1, 0.0, 0.0, 8),
        (120, 2, 0.05, 0.02, 8),
        (60, 3, 0.3, 0.1, 4),  # thin slots: the hour-of-day medians stand in
        (10, 4, 0.0, 0.0, 2),  # young history: the first days have no profile
        (400, 5, 0.02, 0.01, 8),  # both clock changes
    ],
)
def test_replay_equals_fitting_each_day_alone(
    days: int, seed: int, gaps: float, excluded: float, weeks: int
) -> None:
    hours, values, slots, hods = _history(days, seed, gaps=gaps, excluded=excluded)
    expected = _one_day_at_a_time(hours, values, slots, hods, weeks)
    replayed = replay_bands(hours, values, slots, hods, weeks)
    # The first day has no history to expect from; the last has weeks of it.
    assert np.isnan(expected[hours < hours[0] + REFIT_HOURS]).all()
    assert np.isfinite(expected[hours >= hours[-1] - REFIT_HOURS]).all()
    np.testing.assert_array_equal(replayed, expected)


def test_replay_of_no_hours_is_empty() -> None:
    empty = np.empty(0, dtype=np.int64)
    assert replay_bands(empty, np.empty(0), empty, empty, 8).shape == (0, 3)


def test_a_gap_of_weeks_leaves_the_days_after_it_without_a_profile() -> None:
    hours, values, slots, hods = _history(120, 6, gaps=0.0, excluded=0.0)
    values[(hours >= hours[0] + 40 * 24) & (hours < hours[0] + 100 * 24)] = np.nan
    replayed = replay_bands(hours, values, slots, hods, 8)
    np.testing.assert_array_equal(replayed, _one_day_at_a_time(hours, values, slots, hods, 8))
    # 8 weeks look back: from day 97 the profile sees fewer than two days of values.
    assert np.isnan(replayed[(hours >= hours[0] + 98 * 24) & (hours < hours[0] + 100 * 24)]).all()
