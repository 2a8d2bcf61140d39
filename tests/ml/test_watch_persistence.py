"""A forecaster survives JSON, and malformed data is refused with ValueError."""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.watch import (
    SensorForecaster,
    WatchSettings,
    fit_sensor_forecaster,
)

from .watch_synthetic import ZONE, room


@pytest.fixture(scope="module")
def fitted() -> tuple[pd.DataFrame, SensorForecaster]:
    frame = room(6, seed=9, freq="10min")
    frame["outside"] = np.sin(np.arange(len(frame)) / 50.0)
    settings = WatchSettings(
        time_zone=ZONE, horizon_hours=12, feature_columns=("outside",), unit="°C"
    )
    return frame, fit_sensor_forecaster(frame, settings)


def test_round_trip_through_json_gives_the_same_forecast(
    fitted: tuple[pd.DataFrame, SensorForecaster],
) -> None:
    frame, forecaster = fitted
    data = forecaster.to_dict()
    text = json.dumps(data, allow_nan=False)  # plain JSON, no NaN or objects
    restored = SensorForecaster.from_dict(json.loads(text))
    assert restored.step == forecaster.step == pd.Timedelta(minutes=10)
    assert restored.settings == forecaster.settings
    assert restored.serves_baseline == forecaster.serves_baseline
    assert restored.backtest == forecaster.backtest
    assert restored.trained_until == forecaster.trained_until
    now = frame.index[-1]
    original, again = forecaster.forecast(frame, now), restored.forecast(frame, now)
    np.testing.assert_allclose(again.p10, original.p10)
    np.testing.assert_allclose(again.p50, original.p50)
    np.testing.assert_allclose(again.p90, original.p90)
    assert again.explain(5) == original.explain(5)
    assert restored.to_dict() == data


def test_nan_scores_are_stored_as_null(fitted: tuple[pd.DataFrame, SensorForecaster]) -> None:
    _, forecaster = fitted
    data = forecaster.to_dict()
    data["backtest"]["coverage"] = None
    data["backtest"]["baseline_mae"]["linear_drift"] = None
    restored = SensorForecaster.from_dict(data)
    assert np.isnan(restored.backtest.coverage)
    assert np.isnan(restored.backtest.baseline_mae["linear_drift"])
    assert restored.to_dict()["backtest"]["coverage"] is None


def _broken(data: dict[str, Any], path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    out = copy.deepcopy(data)
    target: Any = out
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("format",), "something else"),
        (("version",), 99),
        (("settings",), "UTC"),
        (("settings", "time_zone"), 5),
        (("settings", "time_zone"), "Nowhere/Atlantis"),
        (("settings", "horizon_hours"), 0),
        (("settings", "horizon_hours"), True),
        (("settings", "feature_columns"), [1]),
        (("settings", "step_minutes"), 7),
        (("step_minutes",), 7),
        (("step_minutes",), "5"),
        (("leads",), []),
        (("leads",), [2, 1]),
        (("leads",), [1.5]),
        (("intercepts",), [0.0]),
        (("intercepts", 0), float("nan")),
        (("intercepts", 0), "x"),
        (("coefficients",), [[0.0]]),
        (("coefficients", 0), [0.0]),
        (("profile", "slot_minutes"), 7),
        (("profile", "values"), [0.0, 1.0]),
        (("intervals", "edges"), [2.0, 1.0]),
        (("intervals", "lower"), [[0.0]]),
        (("intervals", "upper", 0), [0.0]),
        (("serves_baseline",), "no"),
        (("baseline_name",), "tomorrow"),
        (("backtest", "best_baseline"), "tomorrow"),
        (("backtest", "baseline_mae"), {"persistence": 1.0}),
        (("backtest", "model_mae"), "bad"),
        (("backtest", "pairs_scored"), KeyError),
        (("trained_until",), "not a time"),
        (("trained_until",), "2026-01-01T00:00:00"),
        (("profile",), KeyError),
    ],
)
def test_malformed_data_is_refused(
    fitted: tuple[pd.DataFrame, SensorForecaster], path: tuple[str | int, ...], value: object
) -> None:
    data = fitted[1].to_dict()
    with pytest.raises(ValueError):  # noqa: PT011
        SensorForecaster.from_dict(_broken(data, path, value))


def test_intervals_that_do_not_enclose_the_median_are_refused(
    fitted: tuple[pd.DataFrame, SensorForecaster],
) -> None:
    data = fitted[1].to_dict()
    data["intervals"]["lower"] = [[5.0] * len(row) for row in data["intervals"]["lower"]]
    with pytest.raises(ValueError, match="enclose zero"):
        SensorForecaster.from_dict(data)


def test_non_dict_is_refused() -> None:
    for data in (None, [], "forecaster", 3):
        with pytest.raises(ValueError, match="must be a dict"):
            SensorForecaster.from_dict(data)


def test_watch_never_imports_scikit_learn_or_home_assistant() -> None:
    """The package works where scikit-learn cannot be installed (no optional path needed)."""
    folder = Path(__file__).parents[2] / "custom_components" / "foresight" / "ml" / "watch"
    files = sorted(folder.glob("*.py"))
    assert len(files) > 5
    imported: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    assert "numpy" in imported
    assert not imported & {"sklearn", "homeassistant", "scipy", "pickle"}
