"""Turn an :class:`Explanation` into one readable sentence."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .status import AnomalyKind, Explanation


def format_value(value: float, unit: str = "") -> str:
    """Format a value with a precision that suits its size.

    Args:
        value: The number.
        unit: Unit appended after a space, if any.

    Returns:
        E.g. ``"0.45 kW"`` or ``"1234 W"``.
    """
    size = abs(value)
    text = f"{value:.0f}" if size >= 100 else f"{value:.1f}" if size >= 10 else f"{value:.2f}"
    return f"{text} {unit}" if unit else text


def format_signed(value: float, unit: str = "") -> str:
    """Format a difference with an explicit sign, e.g. ``"+0.45 kW"``."""
    return ("+" if value >= 0 else "-") + format_value(abs(value), unit)


def format_duration(duration: timedelta) -> str:
    """Format a duration roughly, e.g. ``"6 h"``, ``"2.5 days"`` or ``"40 s"``."""
    seconds = duration.total_seconds()
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.0f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def format_local(moment: datetime, time_zone: str) -> str:
    """Format a moment as local weekday and time, e.g. ``"Tuesday 03:00"``."""
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%A %H:%M")


def explain_text(explanation: Explanation, unit: str = "", time_zone: str = "UTC") -> str:
    """Say what was expected, what happened, how unusual and since when.

    Args:
        explanation: The explanation as data.
        unit: Unit of the values.
        time_zone: IANA zone for the local times.

    Returns:
        One sentence.
    """
    e = explanation
    since = format_local(e.since, time_zone)
    slot = format_local(e.timestamp, time_zone)
    actual = format_value(e.actual, unit) if e.actual is not None else "no value"
    expected = format_value(e.expected, unit) if e.expected is not None else "unknown"
    prefix = f"{e.channel}: " if e.channel != "target" else ""
    match e.kind:
        case AnomalyKind.SPIKE if e.ratio is not None and e.ratio >= 1.5:
            text = f"{actual}, {e.ratio:.1f}x the usual for a {slot} (usual {expected})"
        case AnomalyKind.SPIKE | AnomalyKind.DROP:
            text = f"{actual} where about {expected} is usual for a {slot}"
        case AnomalyKind.SUSTAINED_HIGH | AnomalyKind.SUSTAINED_LOW:
            delta = format_signed(e.delta or 0.0, unit)
            lasted = f" ({format_duration(e.duration)})" if e.duration is not None else ""
            text = f"load {delta} compared with the usual since {since}{lasted}"
        case AnomalyKind.BASE_LOAD:
            delta = format_signed(e.delta or 0.0, unit)
            text = f"base load {delta} since {since} (usually {expected})"
        case AnomalyKind.STUCK:
            lasted = format_duration(e.duration or timedelta(0))
            text = f"value unchanged at {actual} for {lasted} (since {since})"
        case AnomalyKind.JUMP:
            previous = format_value(e.previous, unit) if e.previous is not None else "?"
            text = f"jumped from {previous} to {actual} at {slot}"
        case AnomalyKind.OUT_OF_RANGE:
            low = format_value(e.low, unit) if e.low is not None else "?"
            high = format_value(e.high, unit) if e.high is not None else "?"
            text = f"{actual}, outside the usual range {low} to {high} (since {since})"
        case AnomalyKind.DEVIATION:
            text = f"{actual} where the recent behaviour suggests about {expected} (since {since})"
        case AnomalyKind.MULTIVARIATE:
            text = f"an unusual combination of the sensors' values (since {since})"
    return f"{prefix}{text}; {e.unusualness:.1f}x the alarm threshold."
