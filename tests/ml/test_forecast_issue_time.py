"""Rows the model learns from and is judged on see only what is known at their issue time."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.forecast import (
    Forecaster,
    ForecastSettings,
    forecaster as forecaster_module,
    train_forecaster,
)
from custom_components.foresight.ml.forecast.engines import Engine, Explained, create_engine
from custom_components.foresight.ml.forecast.features import (
    day_ahead_features,
    fill_values,
    make_layout,
)
from custom_components.foresight.ml.forecast.grid import build_grid
from custom_components.foresight.ml.synthetic import synthetic_home

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


class _Recording:
    """An engine that keeps every matrix it is asked to forecast or explain."""

    def __init__(self, engine: Engine, seen: list[np.ndarray]) -> None:
        self._engine = engine
        self._seen = seen

    def fit(self, *args: Any, **kwargs: Any) -> None:
        self._engine.fit(*args, **kwargs)

    def predict(self, features: np.ndarray) -> np.ndarray:
        self._seen.append(features.copy())
        return self._engine.predict(features)

    def explain(self, features: np.ndarray) -> Explained:
        self._seen.append(features.copy())
        return self._engine.explain(features)


def _rows_found(rows: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Whether each row equals (to rounding) some row of ``among``."""
    close = np.isclose(rows[:, None, :], among[None, :, :], rtol=1e-9, atol=1e-9)
    return np.asarray(close.all(axis=2).any(axis=1))


def _train_recorded(
    monkeypatch: pytest.MonkeyPatch, settings: ForecastSettings
) -> tuple[Forecaster, np.ndarray, pd.DataFrame, pd.Timestamp]:
    """A forecaster trained on six weeks, the rows its backtest forecast, an issue in it."""
    backtested: list[np.ndarray] = []
    monkeypatch.setattr(
        forecaster_module,
        "create_engine",
        lambda name: _Recording(create_engine(name), backtested),
    )
    frame = synthetic_home(42, seed=7, gap_fraction=0.0)
    trained = train_forecaster(frame, settings)
    assert trained.model is not None
    local = frame.index.tz_convert(ZONE)
    issue = local[local.hour == 0][-3]  # a day of the backtest's last fold
    return trained, np.concatenate(backtested), frame, issue


def test_backtest_forecasts_its_days_from_what_a_served_forecast_sees(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The backtest's forecast of a day uses the features ``predict`` builds at its issue.

    With no weather forecast, ``predict`` carries each sensor's last value before the issue
    time over the day; a backtest that read the observed values of the day would credit the
    model with a skill no served forecast has (and calibrate its interval on it). The check
    of the day before (``recent_check``) sees that day's observed values in both.
    """
    settings = ForecastSettings(
        time_zone=ZONE,
        engine="numpy",
        feature_columns=("outdoor_temp", "occupancy"),
        min_skill=float("-inf"),  # always a model, whose inputs are recorded
    )
    trained, backtest_rows, frame, issue = _train_recorded(monkeypatch, settings)
    served: list[np.ndarray] = []
    trained.model = _Recording(trained.model, served)
    trained.predict(frame[frame.index < issue], issue, hours=24)
    checked, forecast = served  # the day before as the check sees it, then the day
    assert forecast.shape == (24, len(trained.layout.names))
    assert _rows_found(forecast, backtest_rows).all()
    assert _rows_found(checked, backtest_rows).all()
    # The sensors vary within the day: observed values would not have matched.
    now = trained.layout.names.index("outdoor_temp:now")
    assert np.unique(forecast[:, now]).size == 1
    assert np.unique(checked[:, now]).size > 1


def test_backtest_reads_a_forecast_sensor_as_observed_and_the_others_as_carried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a weather forecast of the temperature, the backtest sees what ``predict`` sees.

    ``predict`` is given the temperature's forecast for the day (here the observed values, a
    perfect forecast) and carries the occupancy's last value; the backtest must forecast its
    days from the same rows, so that its skill and interval are those of served forecasts.
    """
    settings = ForecastSettings(
        time_zone=ZONE,
        engine="numpy",
        feature_columns=("outdoor_temp", "occupancy"),
        forecast_columns=("outdoor_temp",),
        min_skill=float("-inf"),
    )
    trained, backtest_rows, frame, issue = _train_recorded(monkeypatch, settings)
    day = frame[(frame.index >= issue) & (frame.index < issue + pd.Timedelta(hours=24))]
    served: list[np.ndarray] = []
    trained.model = _Recording(trained.model, served)
    trained.predict(
        frame[frame.index < issue], issue, hours=24, future_features=day[["outdoor_temp"]]
    )
    forecast = served[-1]
    assert _rows_found(forecast, backtest_rows).all()
    names = trained.layout.names
    assert np.unique(forecast[:, names.index("outdoor_temp:now")]).size > 1
    assert np.unique(forecast[:, names.index("occupancy:now")]).size == 1


def test_forecast_columns_must_be_features() -> None:
    with pytest.raises(ValueError, match="forecast_columns"):
        ForecastSettings(time_zone=ZONE, feature_columns=("a",), forecast_columns=("b",))
