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

# Recent history the hourly predictions need: lags reach back a week, plus margin.
PREDICTION_HISTORY: Final = timedelta(days=15)
PREDICTION_INTERVAL: Final = timedelta(hours=1)
# A burst of new readings from the target triggers one refresh, not one per reading.
TARGET_CHANGE_COOLDOWN: Final = 60.0
# An anomaly that lasts this long becomes a repair the user can act on.
SUSTAINED_ANOMALY: Final = timedelta(hours=6)
