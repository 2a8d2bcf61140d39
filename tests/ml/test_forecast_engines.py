"""Session 4 engine details: recency weights, weekday-aware levels, the trees-ridge blend."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.forecast import ForecastSettings, train_forecaster
from custom_components.foresight.ml.forecast.backtest import row_ages
from custom_components.foresight.ml.forecast.engines import create_engine, engine_from_state
from custom_components.foresight.ml.forecast.engines.numpy_ridge import (
    RECENCY_HALF_LIFE_DAYS,
    recency_weights,
)
from custom_components.foresight.ml.forecast.features import (
    DAILY_PATTERN,
    RECENT_LEVEL,
    FeatureLayout,
    build_features,
    fill_values,
    make_layout,
)
from custom_components.foresight.ml.forecast.grid import build_grid
from custom_components.foresight.ml.synthetic import synthetic_home

from .engines import ENGINES

FEATURES = ("outdoor_temp", "occupancy")
ZONE = "Europe/Berlin"


@pytest.fixture(scope="module")
def home() -> pd.DataFrame:
    return synthetic_home(120, seed=5)


def _matrix(home: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, FeatureLayout]:
    grid = build_grid(home, FEATURES)
    layout = make_layout(FEATURES, with_holidays=True, with_season=False)
    rows = np.arange(24, len(grid), dtype=np.int64)
    rows = rows[np.isfinite(grid.target[rows])]
    matrix = build_features(
        grid,
        rows,
        np.full(len(rows), 24, dtype=np.int64),
        layout,
        fill_values(grid, len(grid)),
        time_zone=ZONE,
        country="DE",
    )
    return matrix, grid.target[rows].copy(), rows, layout


def test_row_ages_count_hours_back_from_the_newest_row() -> None:
    ages = row_ages(np.array([3, 5, 10], dtype=np.int64))
    np.testing.assert_array_equal(ages, [7.0, 5.0, 0.0])
    assert row_ages(np.empty(0, dtype=np.int64)).size == 0


def test_recency_weights_halve_every_half_life() -> None:
    half = RECENCY_HALF_LIFE_DAYS * 24
    weights = recency_weights(np.array([2 * half, half, 0.0]), 3)
    np.testing.assert_allclose(weights, [0.25, 0.5, 1.0])
    # Relative to the youngest row: shifting all ages changes nothing.
    np.testing.assert_allclose(recency_weights(np.array([2 * half, half, 0.0]) + 50, 3), weights)
    np.testing.assert_array_equal(recency_weights(None, 4), np.ones(4))
    with pytest.raises(ValueError, match="age_hours"):
        recency_weights(np.array([1.0, np.nan]), 2)
    with pytest.raises(ValueError, match="age_hours"):
        recency_weights(np.zeros(3), 2)


def test_ridge_with_ages_follows_a_recent_shift(home: pd.DataFrame) -> None:
    matrix, target, rows, layout = _matrix(home)
    # The last 20 days use 0.5 kWh more than the features suggest (a new appliance).
    recent = rows >= rows[-1] - 20 * 24
    target[recent] += 0.5
    plain = create_engine("numpy")
    plain.fit(matrix, target, layout)
    weighted = create_engine("numpy")
    weighted.fit(matrix, target, layout, age_hours=row_ages(rows))
    bias_plain = np.median(target[recent] - plain.predict(matrix[recent]))
    bias_weighted = np.median(target[recent] - weighted.predict(matrix[recent]))
    assert bias_weighted < bias_plain
    # Still exactly additive.
    explained = weighted.explain(matrix[-48:])
    total = explained.baseline + np.sum(list(explained.contributions.values()), axis=0)
    np.testing.assert_allclose(total, weighted.predict(matrix[-48:]), atol=1e-9)


def test_sklearn_level_group_holds_its_own_weekday_copy(home: pd.DataFrame) -> None:
    pytest.importorskip("sklearn")
    matrix, target, rows, layout = _matrix(home)
    engine = create_engine("sklearn")
    engine.fit(matrix, target, layout, age_hours=row_ages(rows))
    groups = engine._groups  # type: ignore[attr-defined]
    columns = engine._columns  # type: ignore[attr-defined]
    weekday = layout.names.index("weekday")
    owners = {
        group for group, positions in groups.items() for p in positions if columns[p] == weekday
    }
    assert owners == {DAILY_PATTERN, RECENT_LEVEL}
    # The groups stay disjoint in the matrix the trees see, so the parts are exact.
    seen = [p for positions in groups.values() for p in positions]
    assert len(seen) == len(set(seen))
    explained = engine.explain(matrix[-48:])
    total = explained.baseline + np.sum(list(explained.contributions.values()), axis=0)
    np.testing.assert_allclose(total, engine.predict(matrix[-48:]), atol=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
def test_training_passes_row_ages_to_the_engine(
    engine: str, home: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    from custom_components.foresight.ml.forecast import forecaster  # noqa: PLC0415

    seen: list[np.ndarray | None] = []
    explained: list[bool] = []
    original = forecaster.create_engine

    def spying(name: str) -> object:
        made = original(name)
        fit = made.fit

        def spy(
            *args: object, age_hours: np.ndarray | None = None, explainable: bool = True
        ) -> None:
            seen.append(age_hours)
            explained.append(explainable)
            fit(*args, age_hours=age_hours, explainable=explainable)  # type: ignore[arg-type]

        made.fit = spy  # type: ignore[method-assign]
        return made

    monkeypatch.setattr(forecaster, "create_engine", spying)
    settings = ForecastSettings(time_zone=ZONE, country="DE", engine=engine, min_skill=-10.0)  # type: ignore[arg-type]
    trained = train_forecaster(home[["target"]], settings)
    assert trained.model is not None
    # Four backtest folds and the final fit, each with one age per row, newest row age 0.
    assert len(seen) == 5
    # Only the served model is explained and saved.
    assert explained == [False, False, False, False, True]
    for ages in seen:
        assert ages is not None
        assert ages.min() == 0.0
        assert np.all(np.diff(ages) <= 0)


def test_sklearn_engine_blends_trees_with_the_ridge(home: pd.DataFrame) -> None:
    pytest.importorskip("sklearn")
    from custom_components.foresight.ml.forecast.engines import sklearn_boosting  # noqa: PLC0415

    matrix, target, rows, layout = _matrix(home)
    ages = row_ages(rows)
    engine = create_engine("sklearn")
    engine.fit(matrix, target, layout, age_hours=ages)
    ridge = create_engine("numpy")
    ridge.fit(matrix, target, layout, age_hours=ages)
    trees = engine._trees.predict(matrix[-48:][:, engine._columns])  # type: ignore[attr-defined]
    weight = sklearn_boosting.TREE_WEIGHT
    assert 0.0 < weight < 1.0
    np.testing.assert_allclose(
        engine.predict(matrix[-48:]),
        weight * trees + (1 - weight) * ridge.predict(matrix[-48:]),
        atol=1e-9,
    )
    # Each group's part is the same blend of the two models' parts. The trees' part of a
    # group: their prediction on the reference row with only that group's columns taken
    # from the row, less theirs on the reference row, centred on its mean over the training
    # rows (an even stride of about CENTERING_ROWS of them). The ridge's part is its own.
    explained, alone = engine.explain(matrix[-48:]), ridge.explain(matrix[-48:])
    assert set(explained.contributions) == set(alone.contributions)
    reference: np.ndarray = engine._reference  # type: ignore[attr-defined]
    groups: dict[str, tuple[int, ...]] = engine._groups  # type: ignore[attr-defined]
    columns: list[int] = engine._columns  # type: ignore[attr-defined]
    tree_predict = engine._trees.predict  # type: ignore[attr-defined]

    def tree_term(rows: np.ndarray, group: str) -> np.ndarray:
        swapped = np.tile(reference, (len(rows), 1))
        swapped[:, list(groups[group])] = rows[:, columns][:, list(groups[group])]
        return np.asarray(tree_predict(swapped) - tree_predict(reference[None, :]))

    training = matrix[:: max(1, len(matrix) // sklearn_boosting.CENTERING_ROWS)]
    assert len(groups) >= 5
    for group, part in explained.contributions.items():
        trees_part = tree_term(matrix[-48:], group) - tree_term(training, group).mean()
        np.testing.assert_allclose(
            part,
            weight * trees_part + (1 - weight) * alone.contributions[group],
            rtol=1e-9,
            atol=1e-9,
            err_msg=group,
        )


def test_sklearn_state_round_trip_keeps_the_blend(home: pd.DataFrame) -> None:
    pytest.importorskip("sklearn")
    matrix, target, rows, layout = _matrix(home)
    engine = create_engine("sklearn")
    engine.fit(matrix, target, layout, age_hours=row_ages(rows))
    meta, arrays, blob = engine.get_state()
    assert any(name.startswith("ridge:") for name in arrays)
    meta = json.loads(json.dumps(meta))
    rebuilt = engine_from_state("sklearn", meta, arrays, blob)
    np.testing.assert_array_equal(rebuilt.predict(matrix[-48:]), engine.predict(matrix[-48:]))
    again, first = rebuilt.explain(matrix[-48:]), engine.explain(matrix[-48:])
    np.testing.assert_array_equal(again.baseline, first.baseline)
    for group, values in first.contributions.items():
        np.testing.assert_array_equal(again.contributions[group], values)
    # A state from before the blend (no ridge) is refused rather than mis-read.
    old = {key: value for key, value in meta.items() if key not in ("ridge", "tree_weight")}
    with pytest.raises(ValueError, match="ridge"):
        engine_from_state("sklearn", old, arrays, blob)


def test_a_backtest_fold_skips_the_explanation_and_predicts_the_same(home: pd.DataFrame) -> None:
    pytest.importorskip("sklearn")
    matrix, target, _, layout = _matrix(home)
    full, fold = create_engine("sklearn"), create_engine("sklearn")
    full.fit(matrix, target, layout)
    fold.fit(matrix, target, layout, explainable=False)
    np.testing.assert_array_equal(fold.predict(matrix[:48]), full.predict(matrix[:48]))
    with pytest.raises(RuntimeError, match="predict only"):
        fold.explain(matrix[:48])
    with pytest.raises(RuntimeError, match="predict only"):
        fold.get_state()
