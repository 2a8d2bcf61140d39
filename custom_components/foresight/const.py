"""Constants for the Foresight integration."""

from datetime import timedelta
from typing import Final

DOMAIN: Final = "foresight"

# Entry data: what to predict and from what.
CONF_TARGET_ENTITY: Final = "target_entity"
CONF_FEATURE_ENTITIES: Final = "feature_entities"
CONF_WEATHER_ENTITY: Final = "weather_entity"
CONF_CALENDAR_ENTITY: Final = "calendar_entity"

# Entry options: how to learn.
CONF_TRAINING_DAYS: Final = "training_days"
CONF_RETRAIN_TIME: Final = "retrain_time"
CONF_SENSITIVITY: Final = "sensitivity"
CONF_ENGINE: Final = "engine"
CONF_HORIZON_HOURS: Final = "horizon_hours"
CONF_EXCLUDED_PERIODS: Final = "excluded_periods"
# Entry options: the threshold watch (absent: no watch).
CONF_LIMIT: Final = "limit"
CONF_LIMIT_DIRECTION: Final = "limit_direction"
CONF_WARNING_HOURS: Final = "warning_hours"
CONF_WARNING_PROBABILITY: Final = "warning_probability"

DEFAULT_TRAINING_DAYS: Final = 365
MIN_TRAINING_DAYS: Final = 28
MAX_TRAINING_DAYS: Final = 1095
DEFAULT_RETRAIN_TIME: Final = "03:17:00"
DEFAULT_SENSITIVITY: Final = "medium"
SENSITIVITIES: Final = ("low", "medium", "high")
DEFAULT_ENGINE: Final = "auto"
ENGINES: Final = ("auto", "numpy", "sklearn")
DEFAULT_HORIZON_HOURS: Final = 48
MAX_HORIZON_HOURS: Final = 168
LIMIT_DIRECTIONS: Final = ("above", "below")
DEFAULT_WARNING_HOURS: Final = 12
# The sensor forecaster reaches two days ahead: a warning horizon cannot go further.
MAX_WARNING_HOURS: Final = 48
DEFAULT_WARNING_PROBABILITY: Final = 50

# Raw readings a sensor forecaster learns from (the recorder keeps 10 days of states by
# default; hourly statistics stand in where there are too few readings).
SAMPLES_TRAINING: Final = timedelta(days=30)
# Readings the sensor forecaster looks back on when it forecasts (its daily pattern uses
# the last days: ml.watch.FORECAST_CONTEXT).
SAMPLES_PREDICTION: Final = timedelta(days=8)

# Recent history the hourly predictions need: lags reach back a week, plus margin.
PREDICTION_HISTORY: Final = timedelta(days=15)
PREDICTION_INTERVAL: Final = timedelta(hours=1)
# A target with no usable hour for this long has gone silent: the recent days its forecasts
# are built on are empty, so it gets a repair and no forecast instead of stand-in values.
SILENT_AFTER: Final = timedelta(days=3)
# A burst of new readings from the target triggers one refresh, not one per reading.
TARGET_CHANGE_COOLDOWN: Final = 60.0
# An anomaly that lasts this long becomes a repair the user can act on.
SUSTAINED_ANOMALY: Final = timedelta(hours=6)
