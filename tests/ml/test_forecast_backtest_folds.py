"""How many refits a backtest costs, and how its coverage estimate is split."""

from __future__ import annotations

import numpy as np
import pytest

from custom_components.foresight.ml.forecast import ForecastSettings
from custom_components.foresight.ml.forecast.backtest import (
    LONG_HISTORY_DAYS,
    run_backtest,
)
from custom_components.foresight.ml.forecast.engines.numpy_ridge import RidgeEngine
from custom_components.foresight.ml.forecast.features import make_layout
from custom_components.foresight.ml.forecast.grid import build_grid
from custom_components.foresight.ml.synthetic import synthetic_home


@pytest.mark.parametrize(
    ("days", "fits"),
    [
        # A few months: a fold's model trained on 14 days less would be much worse.
        (120, 4),
        # Over a year before the backtest: two folds of 14 days.
        (LONG_HISTORY_DAYS + 60, 2),
    ],
)
def test_long_histories_refit_half_as_often(days: int, fits: int) -> None:
    home = synthetic_home(days, seed=8, gap_fraction=0.0)
    grid = build_grid(home[["target"]], ())
    layout = make_layout((), with_holidays=False, with_season=False)
    made: list[RidgeEngine] = []

    def make_engine() -> RidgeEngine:
        made.append(RidgeEngine())
        return made[-1]

    result, predictions = run_backtest(
        grid, layout, ForecastSettings(time_zone="Europe/Berlin"), make_engine
    )
    assert len(made) == fits
    assert result.days_evaluated == 28
    # The coverage estimate leaves one week out whatever the folds: four weeks of hours.
    assert np.unique(predictions.week).tolist() == [0, 1, 2, 3]
    assert np.bincount(predictions.week).tolist() == [7 * 24] * 4
    assert 0.0 < result.coverage <= 1.0
