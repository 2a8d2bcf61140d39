"""Constants for the Foresight integration."""

from datetime import timedelta
from typing import Final

DOMAIN: Final = "foresight"

CONF_TARGET_ENTITY: Final = "target_entity"

# How far back Foresight looks for history when it measures what it can learn from.
DEFAULT_TRAINING_DAYS: Final = 365

# History is re-read every hour; the recorder compiles hourly statistics once an hour too.
HISTORY_REFRESH_INTERVAL: Final = timedelta(hours=1)
