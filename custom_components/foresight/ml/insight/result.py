"""The insight's result: plain values, ready for an action response."""

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class HourRange:
    """A stretch of hours of the week that drives consumption.

    Attributes:
        days: Which days, in words: ``"every day"``, ``"weekdays"`` (Monday to Friday) or
            ``"weekends"`` (Saturday and Sunday).
        start_hour: First local hour, 0-23.
        end_hour: Local hour the stretch ends (exclusive), 1-24.
        share_percent: Share of the week's energy used in these hours (all of it, base load
            included), in percent.
    """

    days: str
    start_hour: int
    end_hour: int
    share_percent: float

    @property
    def label(self) -> str:
        """The stretch in words, e.g. ``"Weekdays 17:00-21:00"`` (with an en dash)."""
        return f"{self.days.capitalize()} {self.start_hour:02d}:00\u2013{self.end_hour:02d}:00"


@dataclass(frozen=True, slots=True)
class EnergyInsight:
    """Trend and drift of an energy meter, in plain values (``None`` when data are lacking).

    Attributes:
        base_load_w: Always-on consumption over the last 7 complete days, in W.
        base_load_month_ago_w: The same, 4 weeks earlier.
        base_load_change_w: ``base_load_w - base_load_month_ago_w``.
        base_load_change_kwh_per_year: That change over a year (W x 8.76), in kWh.
        kwh_per_heating_degree_day: Extra kWh per day per degree-day below ``heating_base_c``.
        kwh_per_cooling_degree_day: Extra kWh per day per degree-day above ``cooling_base_c``.
        heating_base_c: Heating base temperature used (when a temperature was given).
        cooling_base_c: Cooling base temperature used (when a temperature was given).
        trend_percent: Last 4 weeks against the 4 weeks before, in percent (at equal weather
            when ``weather_normalised``).
        trend_kwh_per_day: The same change in kWh per day.
        weather_normalised: Whether the trend is corrected for the weather.
        top_hours: The hours of the week that drive consumption, largest first.
        text: A few sentences in plain language.
        raw_trend_percent: The trend without any weather correction, in percent.
        raw_trend_kwh_per_day: The trend without any weather correction, in kWh per day.
        days_of_data: Local days with enough hourly values (of the last 8 weeks).
        base_load_weather_corrected: Whether heating and cooling were taken off the base
            load figures. ``False`` without a weather term, and also when the correction was
            not believable (a corrected base load of 0 W or less): the figures are then the
            plain ones, heating or cooling at night included, and the text says so.
    """

    base_load_w: float | None
    base_load_month_ago_w: float | None
    base_load_change_w: float | None
    base_load_change_kwh_per_year: float | None
    kwh_per_heating_degree_day: float | None
    kwh_per_cooling_degree_day: float | None
    heating_base_c: float | None
    cooling_base_c: float | None
    trend_percent: float | None
    trend_kwh_per_day: float | None
    weather_normalised: bool
    top_hours: tuple[HourRange, ...]
    text: str
    raw_trend_percent: float | None = None
    raw_trend_kwh_per_day: float | None = None
    days_of_data: int = 0
    base_load_weather_corrected: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (``top_hours`` as a list of dicts, each with its label)."""
        data = asdict(self)
        data["top_hours"] = [{**asdict(hours), "label": hours.label} for hours in self.top_hours]
        return data
