"""Rows the model learns from see only what is known at their issue time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.forecast import ForecastSettings
from custom_components.foresight.ml.forecast.features import (
    day_ahead_features,
    fill_values,
    make_layout,
)
from custom_components.foresight.ml.forecast.grid import build_grid

ZONE = "Europe/Berlin"


@pytest.mark.parametrize("change_day", ["2024-03-31", "2024-10-27"])
def test_training_rows_read_nothing_at_or_after_their_issue_across_daylight_saving(
    change_day: str,
) -> None:
    """On the 23- and 25-hour days too, no feature of a training row reads its issue hour.

    The sensor's ``:now`` is left out: training rows learn from the observed value at the
    target hour on purpose.
    """
    day = pd.Timestamp(change_day, tz=ZONE)
    start = (day - pd.Timedelta(days=40)).tz_convert("UTC")
    index = pd.date_range(start, (day + pd.Timedelta(days=3)).tz_convert("UTC"), freq="h")
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {"target": rng.random(len(index)), "temp": rng.normal(10, 5, len(index))}, index=index
    )
    grid = build_grid(frame, ("temp",))
    layout = make_layout(("temp",), with_holidays=False, with_season=False)
    fills = fill_values(grid, len(grid))
    settings = ForecastSettings(time_zone=ZONE, feature_columns=("temp",))
    local_dates = grid.index.tz_convert(ZONE).tz_localize(None).normalize()
    kept = [name != "temp:now" for name in layout.names]
    for offset in (-1, 0, 1):
        date = pd.Timestamp(change_day) + pd.Timedelta(days=offset)
        rows = np.flatnonzero(local_dates == date).astype(np.int64)
        issue = int(rows[0])
        if offset == 0:
            assert len(rows) in (23, 25)  # the daylight saving change is covered
        changed = build_grid(frame, ("temp",))
        changed.target[issue:] = rng.random(len(grid) - issue) + 5.0
        changed.features["temp"][issue:] = rng.normal(30, 5, len(grid) - issue)
        before = day_ahead_features(grid, rows, layout, fills, settings)
        after = day_ahead_features(changed, rows, layout, fills, settings)
        np.testing.assert_array_equal(
            before[:, kept], after[:, kept], err_msg=f"a row of {date.date()} reads its issue"
        )
