"""Settings that decide how a forecaster is trained."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

type EngineChoice = Literal["auto", "numpy", "sklearn"]

#: Longest horizon: lag features reach back one week, so a longer one would see the future.
MAX_HORIZON_HOURS = 168


@dataclass(frozen=True, slots=True)
class ForecastSettings:
    """What the home is and how far ahead to forecast.

    Attributes:
        time_zone: IANA name of the home's time zone; calendar features are local.
        country: ISO country code for public holidays, or None when unknown.
        engine: ``"auto"`` uses scikit-learn when importable and NumPy otherwise.
        horizon_hours: Default number of hours a forecast covers (1 to 168).
        feature_columns: Exogenous sensor columns of the input frame (outdoor temperature...).
        subdivision: Optional holiday subdivision (state or region) within the country.
        backtest_days: Most days the rolling-origin backtest evaluates (a multiple of 7); a
            longer backtest makes the model-or-baseline decision less noisy but judges the
            model by folds fitted on less history (it costs no extra fits: at most four
            folds, each longer).
        min_skill: Skill over the best baseline the model needs to be served (0 = any gain).
        coverage: Nominal share of hours inside the P10-P90 interval.
        season_min_days: History span from which the annual season features are used; with
            less than most of a year they would only learn the trend of the span.
        latitude: The home's latitude in degrees (north positive), or None when unknown.
        longitude: The home's longitude in degrees (east positive), or None when unknown.
            With both, the season features include how dark each hour is.
        forecast_columns: Feature columns whose forecast is given when forecasting (the
            outdoor temperature, from a weather entity). The backtest reads them as observed
            (a good forecast) and every other sensor as its last value at the issue time.
    """

    time_zone: str
    country: str | None = None
    engine: EngineChoice = "auto"
    horizon_hours: int = 48
    feature_columns: tuple[str, ...] = ()
    subdivision: str | None = None
    backtest_days: int = 28
    min_skill: float = 0.0
    coverage: float = 0.8
    season_min_days: int = 300
    latitude: float | None = None
    longitude: float | None = None
    forecast_columns: tuple[str, ...] = ()

    @property
    def location(self) -> tuple[float, float] | None:
        """Latitude and longitude, or None unless both are known."""
        if self.latitude is None or self.longitude is None:
            return None
        return (float(self.latitude), float(self.longitude))

    def __post_init__(self) -> None:
        """Reject settings that would fail later in a less obvious place."""
        ZoneInfo(self.time_zone)  # raises ZoneInfoNotFoundError for unknown names
        if not 1 <= self.horizon_hours <= MAX_HORIZON_HOURS:
            msg = f"horizon_hours must be 1..{MAX_HORIZON_HOURS}, got {self.horizon_hours}"
            raise ValueError(msg)
        if self.engine not in ("auto", "numpy", "sklearn"):
            msg = f"unknown engine {self.engine!r}"
            raise ValueError(msg)
        if self.backtest_days < 7 or self.backtest_days % 7:
            msg = f"backtest_days must be a positive multiple of 7, got {self.backtest_days}"
            raise ValueError(msg)
        if not 0.0 < self.coverage < 1.0:
            msg = f"coverage must be between 0 and 1, got {self.coverage}"
            raise ValueError(msg)
        if (self.latitude is None) != (self.longitude is None):
            msg = "latitude and longitude must be given together"
            raise ValueError(msg)
        if self.latitude is not None and not -90.0 <= self.latitude <= 90.0:
            msg = f"latitude must be -90..90, got {self.latitude}"
            raise ValueError(msg)
        if self.longitude is not None and not -180.0 <= self.longitude <= 180.0:
            msg = f"longitude must be -180..180, got {self.longitude}"
            raise ValueError(msg)
        if not set(self.forecast_columns) <= set(self.feature_columns):
            msg = "forecast_columns must be feature columns"
            raise ValueError(msg)
        if "target" in self.feature_columns or "excluded" in self.feature_columns:
            msg = "feature_columns must not name the target or excluded columns"
            raise ValueError(msg)
