"""The season-by-hour profile and the away gate of the engines."""

from __future__ import annotations

import numpy as np
import pytest

from custom_components.foresight.ml.forecast.engines import create_engine
from custom_components.foresight.ml.forecast.engines.sklearn_boosting import UNUSED_COLUMNS
from custom_components.foresight.ml.forecast.features import AWAY_COLUMNS, SEASON, make_layout

from .engines import ENGINES
from .matrices import calendar_columns


def _season_home(rows: int = 24 * 400) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Matrix and target where the evening peak grows in winter (cosine of the year > 0)."""
    rng = np.random.default_rng(3)
    layout = make_layout((), with_holidays=False, with_season=True)
    hour = np.arange(rows) % 24
    angle = 2 * np.pi * np.arange(rows) / (24 * 365)
    columns = calendar_columns(hour, (np.arange(rows) // 24) % 7, angle)
    matrix = np.column_stack(
        [columns.get(name, rng.normal(1.0, 0.1, rows)) for name in layout.names]
    )
    evening = (hour >= 18) & (hour < 21)
    target = 1.0 + evening * (1.0 + np.cos(angle)) + rng.normal(0, 0.05, rows)
    return matrix, target, evening


def test_ridge_season_part_depends_on_the_hour() -> None:
    matrix, target, evening = _season_home()
    layout = make_layout((), with_holidays=False, with_season=True)
    engine = create_engine("numpy")
    engine.fit(matrix, target, layout)
    explained = engine.explain(matrix)
    season = explained.contributions[SEASON]
    winter = matrix[:, layout.names.index("year_cos")] > 0.9
    summer = matrix[:, layout.names.index("year_cos")] < -0.9
    # Winter evenings get a larger seasonal part than summer evenings; nights barely differ.
    evening_gap = season[winter & evening].mean() - season[summer & evening].mean()
    night_gap = season[winter & ~evening].mean() - season[summer & ~evening].mean()
    assert evening_gap > 1.5
    assert abs(night_gap) < 0.3
    total = explained.baseline + np.sum(list(explained.contributions.values()), axis=0)
    np.testing.assert_allclose(total, engine.predict(matrix), atol=1e-9)
    assert np.mean(np.abs(explained.p50 - target)) < 0.1


@pytest.mark.parametrize("engine_name", ENGINES)
def test_explanations_stay_exact_with_the_new_columns(engine_name: str) -> None:
    matrix, target, _ = _season_home(24 * 120)
    layout = make_layout((), with_holidays=False, with_season=True)
    assert set(AWAY_COLUMNS) <= set(layout.names)
    engine = create_engine(engine_name)
    engine.fit(matrix, target, layout)
    explained = engine.explain(matrix[-48:])
    total = explained.baseline + np.sum(list(explained.contributions.values()), axis=0)
    np.testing.assert_allclose(total, engine.predict(matrix[-48:]), atol=1e-9)


def test_trees_ignore_the_away_and_season_hour_columns() -> None:
    pytest.importorskip("sklearn")
    assert {*AWAY_COLUMNS, "season_hour"} <= UNUSED_COLUMNS
    matrix, target, _ = _season_home(24 * 60)
    layout = make_layout((), with_holidays=False, with_season=True)
    engine = create_engine("sklearn")
    engine.fit(matrix, target, layout)
    used = {layout.names[index] for index in engine._columns}  # type: ignore[attr-defined]
    assert not used & {*AWAY_COLUMNS, "season_hour"}
    # The season group's trees still see the time of year.
    assert {"year_sin", "year_cos"} <= used
