"""A sensor forecaster as plain JSON-serialisable data, and back (validated, no pickle)."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from .backtest import WatchBacktest
from .baselines import BASELINE_NAMES
from .features import MIN_SLOT_MINUTES, DailyProfile, column_names
from .intervals import LeadIntervals
from .model import LeadModel
from .settings import ALLOWED_STEPS, WatchSettings

if TYPE_CHECKING:
    from .forecaster import SensorForecaster

FORMAT: Final = "foresight.watch.forecaster"
VERSION: Final = 1


def _floats(values: Any) -> list[float | None]:
    """Floats as a list; non-finite values (NaN scores) as None."""
    return [float(v) if math.isfinite(float(v)) else None for v in np.asarray(values).ravel()]


def forecaster_to_dict(forecaster: SensorForecaster) -> dict[str, Any]:
    """The forecaster's state as dicts, lists, strings and numbers only."""
    backtest = dataclasses.asdict(forecaster.backtest)
    return {
        "format": FORMAT,
        "version": VERSION,
        "settings": {
            "time_zone": forecaster.settings.time_zone,
            "horizon_hours": forecaster.settings.horizon_hours,
            "feature_columns": list(forecaster.settings.feature_columns),
            "step_minutes": forecaster.settings.step_minutes,
            "unit": forecaster.settings.unit,
        },
        "step_minutes": int(forecaster.step / pd.Timedelta(minutes=1)),
        "leads": [int(lead) for lead in forecaster.model.leads],
        "intercepts": _floats(forecaster.model.intercepts),
        "coefficients": [_floats(row) for row in forecaster.model.coefficients],
        "profile": {
            "slot_minutes": forecaster.profile.slot_minutes,
            "values": _floats(forecaster.profile.values),
        },
        "intervals": {
            "edges": _floats(forecaster.intervals.edges),
            "lower": [_floats(row) for row in forecaster.intervals.lower],
            "upper": [_floats(row) for row in forecaster.intervals.upper],
        },
        "serves_baseline": forecaster.serves_baseline,
        "baseline_name": forecaster.baseline_name,
        "backtest": {
            **backtest,
            "model_mae": _floats([backtest["model_mae"]])[0],
            "coverage": _floats([backtest["coverage"]])[0],
            "skill": _floats([backtest["skill"]])[0],
            "baseline_mae": {
                name: _floats([value])[0] for name, value in backtest["baseline_mae"].items()
            },
        },
        "trained_until": forecaster.trained_until.isoformat(),
    }


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _field(data: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    _require(name in data, f"missing field {name!r}")
    value = data[name]
    bool_ok = kind is bool or (isinstance(kind, tuple) and bool in kind)
    _require(
        isinstance(value, kind) and (bool_ok or not isinstance(value, bool)),
        f"field {name!r} has the wrong type",
    )
    return value


def _finite_list(value: Any, name: str, length: int | None = None) -> np.ndarray[Any, Any]:
    _require(isinstance(value, list), f"{name} must be a list")
    _require(
        all(isinstance(v, int | float) and not isinstance(v, bool) for v in value),
        f"{name} must hold numbers",
    )
    array = np.asarray(value, dtype=np.float64)
    _require(bool(np.all(np.isfinite(array))), f"{name} must hold finite numbers")
    _require(length is None or array.size == length, f"{name} has the wrong length")
    return array


def _optional_float(value: Any, name: str) -> float:
    if value is None:
        return math.nan
    _require(isinstance(value, int | float) and not isinstance(value, bool), f"{name} bad")
    return float(value)


def forecaster_from_dict(data: Any) -> SensorForecaster:
    """Rebuild a forecaster; every field is checked.

    Raises:
        ValueError: Anything malformed, inconsistent or from another format version.
    """
    from .forecaster import SensorForecaster  # noqa: PLC0415  (avoids an import cycle)

    _require(isinstance(data, dict), "forecaster data must be a dict")
    _require(data.get("format") == FORMAT, "not a Foresight sensor forecaster")
    _require(data.get("version") == VERSION, f"unsupported version {data.get('version')!r}")
    raw = _field(data, "settings", dict)
    try:
        settings = WatchSettings(
            time_zone=_field(raw, "time_zone", str),
            horizon_hours=_field(raw, "horizon_hours", int),
            feature_columns=tuple(_field(raw, "feature_columns", list)),
            step_minutes=raw.get("step_minutes"),
            unit=_field(raw, "unit", str),
        )
    except (TypeError, KeyError) as err:
        raise ValueError(f"bad settings: {err}") from err
    _require(all(isinstance(name, str) for name in settings.feature_columns), "bad feature columns")
    step_minutes = _field(data, "step_minutes", int)
    _require(step_minutes in ALLOWED_STEPS, f"bad step {step_minutes}")
    leads_raw = _field(data, "leads", list)
    _require(
        bool(leads_raw) and all(isinstance(v, int) and not isinstance(v, bool) for v in leads_raw),
        "leads must be integers",
    )
    leads = np.asarray(leads_raw, dtype=np.int64)
    _require(bool(leads[0] >= 1 and np.all(np.diff(leads) > 0)), "leads must increase from 1")
    width = len(column_names(settings.feature_columns))
    intercepts = _finite_list(_field(data, "intercepts", list), "intercepts", len(leads))
    rows = _field(data, "coefficients", list)
    _require(len(rows) == len(leads), "one coefficient row per lead is needed")
    coefficients = np.vstack([_finite_list(row, "coefficients", width) for row in rows])
    profile_raw = _field(data, "profile", dict)
    slot_minutes = _field(profile_raw, "slot_minutes", int)
    _require(
        slot_minutes >= MIN_SLOT_MINUTES and (24 * 60) % slot_minutes == 0, "bad profile slots"
    )
    profile_values = _finite_list(
        _field(profile_raw, "values", list), "profile", (24 * 60) // slot_minutes
    )
    intervals_raw = _field(data, "intervals", dict)
    edges = _finite_list(_field(intervals_raw, "edges", list), "edges")
    _require(bool(np.all(np.diff(edges) >= 0)), "interval edges must be ascending")
    bounds = []
    for name in ("lower", "upper"):
        rows_raw = _field(intervals_raw, name, list)
        _require(len(rows_raw) == len(leads), f"one {name} row per lead is needed")
        bounds.append(np.vstack([_finite_list(row, name, edges.size + 1) for row in rows_raw]))
    lower, upper = bounds
    _require(bool(np.all(lower <= 0) and np.all(upper >= 0)), "intervals must enclose zero")
    baseline_name = _field(data, "baseline_name", str)
    _require(baseline_name in BASELINE_NAMES, f"unknown baseline {baseline_name!r}")
    try:
        trained_until = pd.Timestamp(_field(data, "trained_until", str))
    except ValueError as err:
        raise ValueError(f"bad trained_until: {err}") from err
    _require(trained_until.tzinfo is not None, "trained_until must be time-zone aware")
    return SensorForecaster(
        settings=settings,
        step=pd.Timedelta(minutes=step_minutes),
        model=LeadModel(leads, intercepts, coefficients),
        profile=DailyProfile(slot_minutes, profile_values),
        intervals=LeadIntervals(leads, edges, lower, upper),
        serves_baseline=_field(data, "serves_baseline", bool),
        baseline_name=baseline_name,
        backtest=_backtest(_field(data, "backtest", dict)),
        trained_until=trained_until,
    )


def _backtest(raw: dict[str, Any]) -> WatchBacktest:
    maes = _field(raw, "baseline_mae", dict)
    _require(set(maes) == set(BASELINE_NAMES), "baseline_mae must name every baseline")
    best = _field(raw, "best_baseline", str)
    _require(best in BASELINE_NAMES, f"unknown baseline {best!r}")
    return WatchBacktest(
        model_mae=_optional_float(raw.get("model_mae"), "model_mae"),
        baseline_mae={name: _optional_float(maes[name], name) for name in BASELINE_NAMES},
        best_baseline=best,
        skill=_optional_float(raw.get("skill"), "skill"),
        coverage=_optional_float(raw.get("coverage"), "coverage"),
        pairs_scored=_field(raw, "pairs_scored", int),
        holdout_hours=float(_field(raw, "holdout_hours", (int, float))),
    )
