"""Diagnostics: configuration, data quality, backtest and versions; never history or models."""

import importlib.metadata
import math
import platform
from typing import Any

from homeassistant.core import HomeAssistant

from .coordinator import ForesightConfigEntry
from .ml.anomaly import AnomalyDetector, judging_step
from .ml.watch import SensorForecaster
from .training_executor import training_executor


def _rounded(value: float) -> float | None:
    """JSON has no NaN: a backtest without scored hours has no error figures."""
    return round(value, 4) if math.isfinite(value) else None


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _sensor_forecaster(watch: SensorForecaster | None) -> dict[str, Any] | None:
    if watch is None:
        return None
    backtest = watch.backtest
    return {
        "step_minutes": int(watch.step.total_seconds() // 60),
        "serves_baseline": watch.serves_baseline,
        "baseline": watch.baseline_name,
        "model_mae": _rounded(backtest.model_mae),
        "baseline_mae": {name: _rounded(mae) for name, mae in backtest.baseline_mae.items()},
        "skill": _rounded(backtest.skill),
        "coverage": _rounded(backtest.coverage),
        "holdout_hours": _rounded(backtest.holdout_hours),
    }


def _judged_every_minutes(detector: AnomalyDetector | None) -> int | None:
    """60 for hourly values; less for a sensor judged on its readings."""
    if detector is None:
        return None
    return int(judging_step(detector).total_seconds() // 60)


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ForesightConfigEntry
) -> dict[str, Any]:
    """What a maintainer needs to understand an entry's forecasts."""
    runtime = entry.runtime_data
    models = runtime.training.data
    forecaster = models.forecaster if models else None
    backtest = forecaster.backtest if forecaster else None
    snapshot = runtime.predictions.data
    versions = await hass.async_add_executor_job(
        lambda: {name: _version(name) for name in ("numpy", "pandas", "scikit-learn")}
    )
    return {
        "config": {"data": dict(entry.data), "options": dict(entry.options)},
        "data_quality": models.quality.as_dict() if models else None,
        "model": None
        if forecaster is None
        else {
            "engine": forecaster.engine,
            "serves_baseline": forecaster.serves_baseline,
            "baseline": forecaster.baseline_name,
            "trained_at": models.trained_at.isoformat() if models and models.trained_at else None,
            "trained_until": str(forecaster.trained_until),
        },
        "backtest": None
        if backtest is None
        else {
            "model_mae": _rounded(backtest.model_mae),
            "baseline_mae": {name: _rounded(mae) for name, mae in backtest.baseline_mae.items()},
            "best_baseline": backtest.best_baseline,
            "skill": _rounded(backtest.skill),
            "coverage": _rounded(backtest.coverage),
            "days_evaluated": backtest.days_evaluated,
            "hours_evaluated": backtest.hours_evaluated,
        },
        "sensor_forecaster": _sensor_forecaster(models.watch if models else None),
        "insight": models.insight if models else None,
        "hours_needed": models.hours_needed if models else None,
        "forecast_hours": len(snapshot.hours),
        "anomaly": None
        if snapshot.anomaly is None
        else {
            "score": snapshot.anomaly.score,
            "is_anomaly": snapshot.anomaly.is_anomaly,
            "judged_every_minutes": _judged_every_minutes(models.detector if models else None),
        },
        "versions": {"python": platform.python_version(), **versions},
        "fits_run_in": training_executor(hass).fits_run_in,
    }
