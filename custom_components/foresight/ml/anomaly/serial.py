"""Small helpers for JSON-serialisable detector state (no pickle)."""

from datetime import UTC, datetime
import math

import pandas as pd


def datetime_to_json(moment: datetime | None) -> str | None:
    """Encode an aware datetime as ISO text."""
    return None if moment is None else moment.isoformat()


def datetime_from_json(text: str | None) -> datetime | None:
    """Decode what :func:`datetime_to_json` wrote."""
    return None if text is None else datetime.fromisoformat(text)


def float_to_json(value: float) -> float | None:
    """JSON has no NaN: encode it as null."""
    return None if math.isnan(value) else value


def float_from_json(value: float | None) -> float:
    """Decode what :func:`float_to_json` wrote."""
    return math.nan if value is None else float(value)


def as_utc(moment: datetime | pd.Timestamp) -> datetime:
    """Return an aware UTC ``datetime``; naive input is taken as UTC."""
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    result: datetime = stamp.to_pydatetime()
    return result
