"""The ridge's log scale: the transform, exact explanations in kWh, the fallbacks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from custom_components.foresight.ml.forecast.engines import (
    create_engine,
    engine_from_state,
    numpy_ridge,
)
from custom_components.foresight.ml.forecast.engines.numpy_ridge import (
    TARGET_SCALE_FACTOR,
    RidgeEngine,
    _from_log,
    _to_log,
    target_scale,
)
from custom_components.foresight.ml.forecast.features import (
    DAILY_PATTERN,
    RECENT_LEVEL,
    make_layout,
)

from .engines import ENGINES


def _multiplicative_home(rows: int = 24 * 200) -> tuple[np.ndarray, np.ndarray]:
    """Matrix and target where the evening peak scales with a slowly varying level."""
    rng = np.random.default_rng(11)
    layout = make_layout((), with_holidays=False, with_season=False)
    hour = np.arange(rows) % 24
    day = np.arange(rows) // 24
    level = 0.3 + 1.2 * (1 + np.sin(2 * np.pi * day / 40)) / 2  # 0.3 to 1.5 kWh
    profile = np.where((hour >= 18) & (hour < 22), 3.0, 1.0)
    target = level * profile * rng.lognormal(0.0, 0.1, rows)
    columns = {"hour": hour, "weekday": day % 7, "level_hour": hour, "away": np.zeros(rows)}
    # Every recent level knows the day's level (plus noise), in kWh.
    matrix = np.column_stack(
        [
            columns[name] if name in columns else level * rng.lognormal(0.0, 0.05, rows)
            for name in layout.names
        ]
    )
    return matrix, target


def test_target_scale_is_a_share_of_the_median() -> None:
    target = np.array([0.0, 0.2, 1.0, 3.0, 9.0])
    assert target_scale(target) == pytest.approx(TARGET_SCALE_FACTOR * 1.0)
    # A device that is mostly off: the mean stands in for a zero median.
    mostly_off = np.array([0.0, 0.0, 0.0, 4.0])
    assert target_scale(mostly_off) == pytest.approx(TARGET_SCALE_FACTOR * 1.0)
    # No log scale for a target that goes below zero (net export) or is zero throughout.
    assert target_scale(np.array([1.0, -0.5, 2.0])) == 0.0
    assert target_scale(np.zeros(5)) == 0.0
    assert target_scale(np.empty(0)) == 0.0


def test_transform_inverts() -> None:
    values = np.array([0.0, 1e-9, 0.3, 1.0, 25.0, 4000.0])
    for scale in (0.05, 0.5, 40.0):
        np.testing.assert_allclose(_from_log(_to_log(values, scale), scale), values, rtol=1e-12)
        assert np.all(np.diff(_to_log(values, scale)) > 0)  # monotone: the median commutes
    # Scale 0: no transform at all.
    np.testing.assert_array_equal(_to_log(values, 0.0), values)
    np.testing.assert_array_equal(_from_log(values, 0.0), values)


def test_log_ridge_explanations_are_exact_in_kwh() -> None:
    matrix, target = _multiplicative_home()
    layout = make_layout((), with_holidays=False, with_season=False)
    engine = RidgeEngine()
    engine.fit(matrix, target, layout)
    assert engine.scale == pytest.approx(TARGET_SCALE_FACTOR * np.median(target))
    explained = engine.explain(matrix)
    total = explained.baseline + np.sum(list(explained.contributions.values()), axis=0)
    predicted = engine.predict(matrix)
    np.testing.assert_allclose(total, predicted, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(explained.p50, predicted, rtol=1e-12, atol=1e-12)
    # The baseline is the back-transformed intercept, in kWh.
    assert explained.baseline[0] == pytest.approx(engine.intercept)
    assert 0.0 < engine.intercept < target.max()
    # The evening hours get a positive daily-pattern part that grows with the level (it is
    # multiplicative on the kWh scale), the night a negative one.
    hour = matrix[:, layout.names.index("hour")]
    evening = (hour >= 18) & (hour < 22)
    daily = explained.contributions[DAILY_PATTERN]
    assert np.all(daily[evening] > 0)
    assert np.all(daily[~evening] < 0)
    high = matrix[:, layout.names.index("level_7d")] > 1.2
    low = matrix[:, layout.names.index("level_7d")] < 0.5
    assert daily[evening & high].mean() > 1.5 * daily[evening & low].mean()
    assert np.mean(np.abs(predicted - target)) < 0.15 * np.mean(target)


def test_log_scale_beats_the_kwh_scale_on_a_multiplicative_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    matrix, target = _multiplicative_home()
    layout = make_layout((), with_holidays=False, with_season=False)
    train, test = slice(0, 24 * 150), slice(24 * 150, None)
    log_engine = RidgeEngine()
    log_engine.fit(matrix[train], target[train], layout)
    monkeypatch.setattr(numpy_ridge, "target_scale", lambda _target: 0.0)
    kwh_engine = RidgeEngine()
    kwh_engine.fit(matrix[train], target[train], layout)
    assert kwh_engine.scale == 0.0
    log_error = np.mean(np.abs(log_engine.predict(matrix[test]) - target[test]))
    kwh_error = np.mean(np.abs(kwh_engine.predict(matrix[test]) - target[test]))
    assert log_error < 0.9 * kwh_error


def test_negative_target_fits_the_kwh_scale_exactly() -> None:
    matrix, target = _multiplicative_home(24 * 60)
    target = target - 1.0  # goes below zero: e.g. a meter with solar export
    layout = make_layout((), with_holidays=False, with_season=False)
    engine = RidgeEngine()
    engine.fit(matrix, target, layout)
    assert engine.scale == 0.0
    explained = engine.explain(matrix[-48:])
    total = explained.baseline + np.sum(list(explained.contributions.values()), axis=0)
    np.testing.assert_allclose(total, engine.predict(matrix[-48:]), atol=1e-9)
    assert np.any(engine.predict(matrix) < 0)


def test_parts_keep_the_sign_of_their_log_scale_terms() -> None:
    matrix, target = _multiplicative_home(24 * 60)
    layout = make_layout((), with_holidays=False, with_season=False)
    engine = RidgeEngine()
    engine.fit(matrix, target, layout)
    explained = engine.explain(matrix[-72:])
    standard = (engine._design(matrix[-72:]) - engine._center) / engine._scale
    for group, block in engine._blocks.items():
        log_term = standard[:, block] @ engine._coef[block]
        part = explained.contributions[group]
        assert np.all(np.sign(part) == np.sign(log_term)), group
    # The recent-level group reads its levels on the log scale too (the away gate aside).
    assert RECENT_LEVEL in explained.contributions


@pytest.mark.parametrize("engine_name", ENGINES)
def test_state_round_trip_keeps_the_scale(engine_name: str) -> None:
    matrix, target = _multiplicative_home(24 * 60)
    layout = make_layout((), with_holidays=False, with_season=False)
    engine = create_engine(engine_name)
    engine.fit(matrix, target, layout)
    meta, arrays, blob = engine.get_state()
    meta = json.loads(json.dumps(meta))
    rebuilt = engine_from_state(engine_name, meta, arrays, blob)
    np.testing.assert_array_equal(rebuilt.predict(matrix[-48:]), engine.predict(matrix[-48:]))
    again = rebuilt.explain(matrix[-48:])
    total = again.baseline + np.sum(list(again.contributions.values()), axis=0)
    np.testing.assert_allclose(total, engine.predict(matrix[-48:]), rtol=1e-12, atol=1e-12)
