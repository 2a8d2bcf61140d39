"""An entry's settings, read defensively: hand-edited storage must never break setup."""

from dataclasses import dataclass
from datetime import datetime, time
import hashlib
import logging
import math
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.util import dt as dt_util

from .const import (
    CONF_CALENDAR_ENTITY,
    CONF_ENGINE,
    CONF_EXCLUDED_PERIODS,
    CONF_FEATURE_ENTITIES,
    CONF_HORIZON_HOURS,
    CONF_LIMIT,
    CONF_LIMIT_DIRECTION,
    CONF_RETRAIN_TIME,
    CONF_SENSITIVITY,
    CONF_TARGET_ENTITY,
    CONF_TRAINING_DAYS,
    CONF_WARNING_HOURS,
    CONF_WARNING_PROBABILITY,
    CONF_WEATHER_ENTITY,
    DEFAULT_ENGINE,
    DEFAULT_HORIZON_HOURS,
    DEFAULT_RETRAIN_TIME,
    DEFAULT_SENSITIVITY,
    DEFAULT_TRAINING_DAYS,
    DEFAULT_WARNING_HOURS,
    DEFAULT_WARNING_PROBABILITY,
    ENGINES,
    LIMIT_DIRECTIONS,
    MAX_HORIZON_HOURS,
    MAX_TRAINING_DAYS,
    MAX_WARNING_HOURS,
    MIN_TRAINING_DAYS,
    SENSITIVITIES,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_RETRAIN_TIME_OF_DAY = time.fromisoformat(DEFAULT_RETRAIN_TIME)


@dataclass(frozen=True, slots=True)
class Period:
    """A period the user marked, in UTC."""

    start: datetime
    end: datetime

    def as_dict(self) -> dict[str, str]:
        """The form kept in the entry's options."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True, slots=True)
class Threshold:
    """The limit a threshold watch warns about."""

    limit: float
    direction: str
    warning_hours: int
    # Percent: the warning turns on when the chance of crossing reaches it.
    warning_probability: int

    def as_dict(self) -> dict[str, Any]:
        """The form kept in the entry's options."""
        return {
            CONF_LIMIT: self.limit,
            CONF_LIMIT_DIRECTION: self.direction,
            CONF_WARNING_HOURS: self.warning_hours,
            CONF_WARNING_PROBABILITY: self.warning_probability,
        }


@dataclass(frozen=True, slots=True)
class EntrySettings:
    """Everything an entry is configured with, validated, with defaults where invalid."""

    target: str
    features: tuple[str, ...]
    weather: str | None
    calendar: str | None
    training_days: int
    retrain_time: time
    sensitivity: str
    engine: str
    horizon_hours: int
    excluded_periods: tuple[Period, ...]
    threshold: Threshold | None = None

    def training_fingerprint(self) -> str:
        """Changes when a setting the saved models depend on changes (so they are refitted)."""
        relevant = (
            self.target,
            self.features,
            self.calendar,
            self.training_days,
            self.sensitivity,
            self.engine,
            self.horizon_hours,
            tuple(period.as_dict().items() for period in self.excluded_periods),
            # The sensor forecaster's horizon follows the warning horizon.
            self.threshold.warning_hours if self.threshold else None,
        )
        return hashlib.sha256(repr(relevant).encode()).hexdigest()[:16]

    @classmethod
    def from_entry(cls, entry: ConfigEntry) -> EntrySettings:
        """Read an entry, replacing any invalid option by its default (and saying so)."""
        data, options = entry.data, entry.options
        return cls(
            target=data[CONF_TARGET_ENTITY],
            features=tuple(_entity_ids(data.get(CONF_FEATURE_ENTITIES))),
            weather=data.get(CONF_WEATHER_ENTITY) or None,
            calendar=data.get(CONF_CALENDAR_ENTITY) or None,
            training_days=_int_option(
                options,
                CONF_TRAINING_DAYS,
                DEFAULT_TRAINING_DAYS,
                MIN_TRAINING_DAYS,
                MAX_TRAINING_DAYS,
            ),
            retrain_time=_time_option(options),
            sensitivity=_choice_option(
                options, CONF_SENSITIVITY, DEFAULT_SENSITIVITY, SENSITIVITIES
            ),
            engine=_choice_option(options, CONF_ENGINE, DEFAULT_ENGINE, ENGINES),
            horizon_hours=_int_option(
                options, CONF_HORIZON_HOURS, DEFAULT_HORIZON_HOURS, 1, MAX_HORIZON_HOURS
            ),
            excluded_periods=tuple(_periods(options.get(CONF_EXCLUDED_PERIODS))),
            threshold=_threshold(options),
        )


def _invalid(key: str, value: Any, default: Any) -> None:
    _LOGGER.warning("Option %s has the invalid value %r; using %r instead", key, value, default)


def _entity_ids(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str) and "." in item]


def _int_option(options: Any, key: str, default: int, low: int, high: int) -> int:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        _invalid(key, value, default)
        return default
    return int(value)


def _choice_option(options: Any, key: str, default: str, choices: tuple[str, ...]) -> str:
    value = options.get(key, default)
    if value not in choices:
        _invalid(key, value, default)
        return default
    return str(value)


def _time_option(options: Any) -> time:
    value = options.get(CONF_RETRAIN_TIME, DEFAULT_RETRAIN_TIME)
    parsed = dt_util.parse_time(value) if isinstance(value, str) else None
    if parsed is None:
        _invalid(CONF_RETRAIN_TIME, value, DEFAULT_RETRAIN_TIME)
        return DEFAULT_RETRAIN_TIME_OF_DAY
    return parsed


def _periods(value: Any) -> list[Period]:
    periods: list[Period] = []
    for item in value if isinstance(value, list) else []:
        start = _parse_moment(item.get("start")) if isinstance(item, dict) else None
        end = _parse_moment(item.get("end")) if isinstance(item, dict) else None
        if (
            start is None
            or end is None
            or start.tzinfo is None
            or end.tzinfo is None
            or end <= start
        ):
            _invalid(CONF_EXCLUDED_PERIODS, item, "nothing")
            continue
        periods.append(Period(dt_util.as_utc(start), dt_util.as_utc(end)))
    return periods


def _threshold(options: Any) -> Threshold | None:
    limit = options.get(CONF_LIMIT)
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int | float) or not math.isfinite(limit):
        _invalid(CONF_LIMIT, limit, "no threshold watch")
        return None
    return Threshold(
        limit=float(limit),
        direction=_choice_option(options, CONF_LIMIT_DIRECTION, "above", LIMIT_DIRECTIONS),
        warning_hours=_int_option(
            options, CONF_WARNING_HOURS, DEFAULT_WARNING_HOURS, 1, MAX_WARNING_HOURS
        ),
        warning_probability=_int_option(
            options, CONF_WARNING_PROBABILITY, DEFAULT_WARNING_PROBABILITY, 1, 99
        ),
    )


def _parse_moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt_util.parse_datetime(value)
    except ValueError:
        # Well-formed but impossible, such as February 30.
        return None
