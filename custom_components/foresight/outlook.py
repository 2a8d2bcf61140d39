"""What the limit and insight entities show, read from the prediction coordinator's data."""

from datetime import timedelta
from typing import Any

from homeassistant.helpers.typing import StateType

from .coordinator import PredictionCoordinator
from .watch import CrossingView

INSIGHT_ATTRIBUTES = (
    "base_load_month_ago_w",
    "base_load_change_w",
    "base_load_change_kwh_per_year",
    "base_load_weather_corrected",
    "kwh_per_heating_degree_day",
    "kwh_per_cooling_degree_day",
    "trend_percent",
    "weather_normalised",
)


def crossing(coordinator: PredictionCoordinator) -> CrossingView | None:
    """The limit's outlook, when the entry watches one and has a forecast."""
    watch = coordinator.data.watch
    return watch.crossing if watch is not None else None


def time_until_limit(coordinator: PredictionCoordinator) -> StateType:
    """Hours until the median crossing; 0 once past the limit; None when not expected."""
    if (outlook := crossing(coordinator)) is None:
        return None
    return 0.0 if outlook.already_past else outlook.eta_p50_hours


def crossing_attributes(coordinator: PredictionCoordinator) -> dict[str, Any]:
    """The crossing's range, chance and explanation."""
    if (outlook := crossing(coordinator)) is None:
        return {}
    issued = coordinator.data.issued_at
    eta = outlook.eta_p50_hours
    return {
        "limit": outlook.limit,
        "direction": outlook.direction,
        "probability": outlook.probability,
        "earliest_hours": outlook.eta_p10_hours,
        "latest_hours": outlook.eta_p90_hours,
        "expected_at": (issued + timedelta(hours=eta)).isoformat() if eta is not None else None,
        "already_past": outlook.already_past,
        "explanation": outlook.text,
    }


def warning_attributes(coordinator: PredictionCoordinator) -> dict[str, Any]:
    """What the limit warning binary sensor says beside on and off."""
    if (outlook := crossing(coordinator)) is None:
        return {}
    return {
        "explanation": outlook.text,
        "probability": outlook.probability,
        "hours_until_limit": outlook.eta_p50_hours,
        "limit": outlook.limit,
        "direction": outlook.direction,
    }


def insight_value(coordinator: PredictionCoordinator, key: str) -> StateType:
    """One number of an energy entry's insight."""
    insight = coordinator.data.insight
    value = insight.get(key) if insight else None
    return round(value, 1) if isinstance(value, int | float) else None


def insight_attributes(coordinator: PredictionCoordinator) -> dict[str, Any]:
    """The rest of the insight, and its sentences."""
    insight = coordinator.data.insight
    if not insight:
        return {}
    return {
        **{key: insight.get(key) for key in INSIGHT_ATTRIBUTES},
        "top_hours": [hours.get("label") for hours in insight.get("top_hours") or []],
        "explanation": insight.get("text"),
    }
