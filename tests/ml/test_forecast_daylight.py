"""The hour's darkness (from the home's location) and the season's copies in the level group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.forecast import (
    ForecastSettings,
    dumps,
    loads,
    train_forecaster,
)
from custom_components.foresight.ml.forecast.daylight import darkness, sun_elevation
from custom_components.foresight.ml.forecast.engines import create_engine
from custom_components.foresight.ml.forecast.features import (
    LEVEL_SEASON_COLUMNS,
    RECENT_LEVEL,
    SEASON,
    build_features,
    fill_values,
    make_layout,
)
from custom_components.foresight.ml.forecast.grid import build_grid
from custom_components.foresight.ml.synthetic import synthetic_home

from .engines import ENGINES
from .matrices import calendar_columns

PARIS = (48.86, 2.35)
SYDNEY = (-33.87, 151.21)


def _ns(stamp: str) -> np.ndarray:
    return np.array([pd.Timestamp(stamp, tz="UTC").value], dtype=np.float64)


def test_sun_elevation_at_known_instants() -> None:
    # Paris, June solstice, solar noon (about 11:51 UTC): 90 - 48.86 + 23.44 degrees.
    assert sun_elevation(_ns("2024-06-20 11:51"), *PARIS)[0] == pytest.approx(64.6, abs=0.3)
    # Paris, December solstice, solar noon (about 11:53 UTC): 90 - 48.86 - 23.44 degrees.
    assert sun_elevation(_ns("2024-12-21 11:53"), *PARIS)[0] == pytest.approx(17.7, abs=0.3)
    # Sydney at local midnight (14:00 UTC) is dark; at local noon in its summer, high.
    assert sun_elevation(_ns("2024-12-21 14:00"), *SYDNEY)[0] < -30
    assert sun_elevation(_ns("2024-12-21 02:00"), *SYDNEY)[0] > 70


def test_darkness_is_a_share_of_the_hour_that_follows_the_sunset() -> None:
    hours = pd.date_range("2024-06-21", periods=24, freq="h", tz="UTC")
    dark = darkness(hours, *PARIS)
    assert dark.min() >= 0.0
    assert dark.max() <= 1.0
    assert dark[12] == 0.0  # noon
    assert dark[0] == 1.0  # 02:00 local
    # Sunset in Paris on 21 June is about 19:58 UTC: the hours around it are partly dark.
    assert 0.0 < dark[19] < 1.0
    assert dark[18] < dark[19] < dark[20]
    # In December the same UTC hour is already dark.
    december = darkness(pd.date_range("2024-12-21", periods=24, freq="h", tz="UTC"), *PARIS)
    assert december[18] == 1.0


def test_settings_take_the_location_together_and_in_range() -> None:
    assert ForecastSettings(time_zone="UTC").location is None
    settings = ForecastSettings(time_zone="UTC", latitude=48.8, longitude=2.3)
    assert settings.location == (48.8, 2.3)
    with pytest.raises(ValueError, match="together"):
        ForecastSettings(time_zone="UTC", latitude=48.8)
    with pytest.raises(ValueError, match="latitude"):
        ForecastSettings(time_zone="UTC", latitude=91.0, longitude=0.0)
    with pytest.raises(ValueError, match="longitude"):
        ForecastSettings(time_zone="UTC", latitude=0.0, longitude=181.0)


def test_layout_has_darkness_only_with_the_season_and_a_location() -> None:
    with_both = make_layout((), with_holidays=False, with_season=True, with_daylight=True)
    assert dict(with_both.groups)[SEASON] == ("year_sin", "year_cos", "season_hour", "darkness")
    assert dict(with_both.groups)[RECENT_LEVEL][-2:] == LEVEL_SEASON_COLUMNS
    no_location = make_layout((), with_holidays=False, with_season=True)
    assert "darkness" not in no_location.names
    assert dict(no_location.groups)[RECENT_LEVEL][-2:] == LEVEL_SEASON_COLUMNS
    short = make_layout((), with_holidays=False, with_season=False, with_daylight=True)
    assert "darkness" not in short.names
    assert not set(LEVEL_SEASON_COLUMNS) & set(short.names)


def test_features_compute_darkness_and_need_the_location() -> None:
    home = synthetic_home(20, seed=1)
    grid = build_grid(home, ())
    layout = make_layout((), with_holidays=False, with_season=True, with_daylight=True)
    positions = np.arange(24 * 19, 24 * 20, dtype=np.int64)
    shifts = np.full(len(positions), 24, dtype=np.int64)
    fills = fill_values(grid, len(grid))
    matrix = build_features(
        grid,
        positions,
        shifts,
        layout,
        fills,
        time_zone="Europe/Berlin",
        country=None,
        location=PARIS,
    )
    names = layout.names
    np.testing.assert_array_equal(
        matrix[:, names.index("darkness")], darkness(grid.index[positions], *PARIS)
    )
    np.testing.assert_array_equal(
        matrix[:, names.index("level_year_sin")], matrix[:, names.index("year_sin")]
    )
    with pytest.raises(ValueError, match="location"):
        build_features(
            grid, positions, shifts, layout, fills, time_zone="Europe/Berlin", country=None
        )


def _dark_home(rows: int = 24 * 400) -> tuple[np.ndarray, np.ndarray, object]:
    """A home whose evening load is the light it needs: it follows darkness, not the hour."""
    rng = np.random.default_rng(5)
    layout = make_layout((), with_holidays=False, with_season=True, with_daylight=True)
    stamps = pd.date_range("2023-01-01", periods=rows, freq="h", tz="UTC")
    hour = np.asarray(stamps.hour)
    angle = 2 * np.pi * (np.asarray(stamps.dayofyear) - 1) / 365.25
    dark = darkness(stamps, *PARIS)
    columns = {
        **calendar_columns(hour, np.asarray(stamps.dayofweek), angle),
        "darkness": dark,
        "away": np.zeros(rows),
    }
    matrix = np.column_stack(
        [columns.get(name, rng.normal(1.0, 0.05, rows)) for name in layout.names]
    )
    awake = (hour >= 5) & (hour < 22)  # UTC: 06-23 h in Paris
    target = 0.5 + 1.5 * awake * dark + rng.normal(0, 0.03, rows)
    return matrix, target, layout


def test_ridge_learns_the_load_that_follows_darkness() -> None:
    matrix, target, layout = _dark_home()
    engine = create_engine("numpy")
    engine.fit(matrix, target, layout)  # type: ignore[arg-type]
    with_darkness = np.mean(np.abs(engine.predict(matrix) - target))
    blind = matrix.copy()
    blind[:, layout.names.index("darkness")] = 0.5  # type: ignore[attr-defined]
    engine_blind = create_engine("numpy")
    engine_blind.fit(blind, target, layout)  # type: ignore[arg-type]
    without = np.mean(np.abs(engine_blind.predict(blind) - target))
    # The season's 3-hour blocks approximate the sunset; darkness by hour captures it.
    assert with_darkness < 0.6 * without
    assert with_darkness < 0.1


@pytest.mark.parametrize("engine_name", ENGINES)
def test_explanations_stay_exact_with_darkness_and_seasonal_levels(engine_name: str) -> None:
    matrix, target, layout = _dark_home(24 * 120)
    engine = create_engine(engine_name)
    engine.fit(matrix, target, layout)  # type: ignore[arg-type]
    explained = engine.explain(matrix[-48:])
    total = explained.baseline + np.sum(list(explained.contributions.values()), axis=0)
    np.testing.assert_allclose(total, engine.predict(matrix[-48:]), atol=1e-9)


def test_ridge_lets_the_weight_of_yesterday_change_over_the_year() -> None:
    rng = np.random.default_rng(8)
    rows = 24 * 400
    layout = make_layout((), with_holidays=False, with_season=True)
    angle = 2 * np.pi * np.arange(rows) / (24 * 365.25)
    hour = np.arange(rows) % 24
    lag = rng.uniform(0.5, 2.0, rows)
    columns = {
        **calendar_columns(hour, (np.arange(rows) // 24) % 7, angle),
        "lag_day": lag,
        "away": np.zeros(rows),
    }
    matrix = np.column_stack(
        [columns.get(name, rng.normal(1.0, 0.05, rows)) for name in layout.names]
    )
    # Yesterday repeats in winter (cosine 1), not in summer (cosine -1).
    weight = 0.5 + 0.5 * np.cos(angle)
    target = weight * lag + (1 - weight) * 1.2 + rng.normal(0, 0.02, rows)
    engine = create_engine("numpy")
    engine.fit(matrix, target, layout)
    fitted = np.mean(np.abs(engine.predict(matrix) - target))
    flat = matrix.copy()
    for name in ("level_year_sin", "level_year_cos"):
        flat[:, layout.names.index(name)] = 0.0
    engine_flat = create_engine("numpy")
    engine_flat.fit(flat, target, layout)
    assert fitted < 0.5 * np.mean(np.abs(engine_flat.predict(flat) - target))


def test_trees_use_darkness_and_the_season_hour_only_with_a_location() -> None:
    pytest.importorskip("sklearn")
    matrix, target, layout = _dark_home(24 * 60)
    engine = create_engine("sklearn")
    engine.fit(matrix, target, layout)  # type: ignore[arg-type]
    used = {layout.names[index] for index in engine._columns}  # type: ignore[attr-defined]
    assert {"darkness", "season_hour"} <= used
    assert not used & set(LEVEL_SEASON_COLUMNS)
    plain = make_layout((), with_holidays=False, with_season=True)
    keep = [layout.names.index(name) for name in plain.names]  # type: ignore[attr-defined]
    engine = create_engine("sklearn")
    engine.fit(matrix[:, keep], target, plain)
    used = {plain.names[index] for index in engine._columns}  # type: ignore[attr-defined]
    assert "season_hour" not in used


@pytest.mark.parametrize("engine_name", ENGINES)
def test_forecaster_with_a_location_round_trips(engine_name: str) -> None:
    home = synthetic_home(330, seed=4, time_zone="Europe/Paris")
    settings = ForecastSettings(
        time_zone="Europe/Paris", engine=engine_name, latitude=PARIS[0], longitude=PARIS[1]
    )
    forecaster = train_forecaster(home, settings)
    assert "darkness" in forecaster.layout.names
    issue = home.index[-1] + pd.Timedelta(hours=1)
    restored = loads(dumps(forecaster, b"key"), b"key")
    assert restored.settings.location == settings.location
    original = forecaster.predict(home, issue, hours=24)
    again = restored.predict(home, issue, hours=24)
    np.testing.assert_array_equal(again.p50, original.p50)
