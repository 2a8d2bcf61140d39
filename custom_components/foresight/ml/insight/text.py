"""The insight in a few plain sentences."""

from __future__ import annotations

from .hours import MIN_DAYS
from .result import HourRange
from .weather import COOLING_BASE_C, HEATING_BASE_C

STEADY_BASE_W = 10.0
"""A base-load change smaller than this is "about the same"."""
STEADY_TREND_PERCENT = 2.0


def _about(kwh: float) -> str:
    """A rounded amount: "1,050" (tens above 100, whole numbers below)."""
    rounded = round(kwh, -1) if abs(kwh) >= 100 else round(kwh)
    return f"{abs(rounded):,.0f}"


def too_little_data(days: int) -> str:
    """What is needed before anything can be said."""
    return (
        f"Insights need at least {MIN_DAYS} days of hourly energy data; "
        f"there {'is' if days == 1 else 'are'} {days} usable day{'' if days == 1 else 's'} "
        "in the last 8 weeks so far."
    )


def base_load_text(
    now_w: float | None,
    month_ago_w: float | None,
    *,
    weather_known: bool,
    fell_back: bool = False,
    noise_w: float | None = None,
) -> str:
    """Base load now, and against a month ago.

    ``fell_back``: heating or cooling was found but could not be taken off the base load
    believably, so the figures include it. ``noise_w``: the change's standard error; a change
    within three times that (or under 10 W) is "about the same".
    """
    steady = max(STEADY_BASE_W, 3.0 * noise_w) if noise_w is not None else STEADY_BASE_W
    sentence = _base_load_sentence(now_w, month_ago_w, steady)
    if fell_back and now_w is not None:
        return sentence + (
            " (Heating or cooling could not be told apart from the base load reliably, so "
            "this figure includes it.)"
        )
    if (
        not weather_known
        and now_w is not None
        and month_ago_w is not None
        and abs(now_w - month_ago_w) >= steady
    ):
        sentence += (
            " (Without an outdoor temperature, heating or cooling at night counts as base load.)"
        )
    return sentence


def _base_load_sentence(now_w: float | None, month_ago_w: float | None, steady: float) -> str:
    if now_w is None:
        return "Base load needs at least 4 complete days of data in the last week."
    if month_ago_w is None:
        return (
            f"Base load (always-on consumption) is {now_w:,.0f} W; comparing it with a month "
            "ago needs 5 weeks of data."
        )
    change = now_w - month_ago_w
    if abs(change) < steady:
        return (
            f"Base load (always-on consumption) is {now_w:,.0f} W, about the same as a month "
            f"ago (within day-to-day variation of ±{steady:,.0f} W)."
        )
    direction = "higher" if change > 0 else "lower"
    return (
        f"Base load (always-on consumption) is {now_w:,.0f} W, {abs(change):,.0f} W {direction} "
        f"than a month ago; that is about {_about(change * 8.76)} kWh a year "
        f"{'more' if change > 0 else 'less'}."
    )


def trend_text(
    percent: float | None,
    kwh_per_day: float | None,
    *,
    weather_normalised: bool,
    raw_percent: float | None,
    temperature_given: bool,
) -> str:
    """The change between the last four weeks and the four before."""
    if kwh_per_day is None:
        return "A trend needs 8 weeks of data (at least 10 complete days in each 4-week period)."
    if percent is None or abs(percent) < STEADY_TREND_PERCENT:
        amount = "about the same as"
    else:
        amount = f"{abs(percent):.0f} % {'more' if percent > 0 else 'less'} than"
    detail = f" ({kwh_per_day:+.1f} kWh a day)" if amount != "about the same as" else ""
    if weather_normalised:
        sentence = f"At equal weather you used {amount} the 4 weeks before{detail}."
        if raw_percent is not None and percent is not None and abs(raw_percent - percent) >= 5:
            sentence += f" Without the weather correction it would be {raw_percent:+.0f} %."
        return sentence
    reason = (
        "the temperature sensor had too few values"
        if temperature_given
        else "no outdoor temperature given"
    )
    return (
        f"In the last 4 weeks you used {amount} the 4 weeks before{detail} "
        f"(not weather-normalised: {reason})."
    )


def degree_day_text(heating: float | None, cooling: float | None) -> str:
    """How much heating and cooling cost per degree-day."""
    sentences = []
    if heating is not None:
        sentences.append(
            f"Heating adds {heating:.1f} kWh per degree-day below {HEATING_BASE_C:g} °C."
        )
    if cooling is not None:
        sentences.append(
            f"Cooling adds {cooling:.1f} kWh per degree-day above {COOLING_BASE_C:g} °C."
        )
    return " ".join(sentences)


def hours_text(top_hours: tuple[HourRange, ...], profile_known: bool) -> str:
    """The stretches of the week that drive consumption."""
    if not profile_known:
        return f"The hours that drive consumption need {MIN_DAYS} days of data in the last 4 weeks."
    if not top_hours:
        return "No hours of the week stand out: consumption is spread evenly."
    parts = [
        f"{hours.label} ({hours.share_percent:.0f} % of the week's energy)" for hours in top_hours
    ]
    return "The hours that drive your consumption: " + ", ".join(parts) + "."
