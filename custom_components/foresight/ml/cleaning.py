"""Turn raw recorder values into clean hourly series: gaps stay gaps, bad hours are flagged.

All times are seconds since the epoch (UTC) and every hour starts on a multiple of 3600 s, so
daylight-saving changes can neither duplicate nor drop an hour; local time only matters for
features, which are derived later from the UTC index.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
import math

import numpy as np
import numpy.typing as npt

type FloatArray = npt.NDArray[np.float64]
type BoolArray = npt.NDArray[np.bool_]

HOUR = 3600.0

# An hour whose time-weighted mean rests on less than this share of known time is a gap.
MIN_KNOWN_FRACTION = 0.5
# "One hour worth 100x the typical": a meter replacement or a glitch, not consumption.
SPIKE_RATIO = 100.0
# For measurements, a value this many robust standard deviations from the median is implausible.
SPIKE_ROBUST_Z = 50.0


class Flag(StrEnum):
    """Why an hour is kept out of training."""

    METER_RESET = "meter_reset"
    NEGATIVE = "negative"
    SPIKE = "spike"
    UNIT_MISMATCH = "unit_mismatch"
    USER_PERIOD = "user_period"
    CALENDAR = "calendar"


@dataclass(frozen=True, slots=True)
class HourlySeries:
    """One entity's values per hour, and the hours that must not be learned from."""

    values: FloatArray
    flags: dict[Flag, BoolArray]

    @property
    def excluded(self) -> BoolArray:
        """Hours with any flag."""
        excluded = np.zeros(self.values.shape, dtype=bool)
        for mask in self.flags.values():
            excluded |= mask
        return excluded


def parse_numeric(states: Iterable[str | float | None]) -> FloatArray:
    """Numbers as floats; `unknown`, `unavailable`, text, NaN and infinities as NaN."""
    parsed = []
    for state in states:
        try:
            number = float(state)  # type: ignore[arg-type]
        except TypeError, ValueError:
            number = math.nan
        parsed.append(number if math.isfinite(number) else math.nan)
    return np.asarray(parsed, dtype=np.float64)


def hour_starts(start: float, hours: int) -> FloatArray:
    """The start of each hour of a window, in epoch seconds."""
    return start + HOUR * np.arange(hours, dtype=np.float64)


def _sorted(times: FloatArray, values: FloatArray) -> tuple[FloatArray, FloatArray]:
    order = np.argsort(times, kind="stable")
    return times[order], values[order]


def time_weighted_hourly_mean(
    times: FloatArray, values: FloatArray, start: float, hours: int, end: float | None = None
) -> tuple[FloatArray, FloatArray]:
    """Hourly means of a step function: each value holds until the next one.

    A NaN value makes its span unknown; before the first value nothing is known, and the last
    value holds until ``end`` (the end of the window by default). Returns the means (NaN where
    less than half of the hour is known) and the known share of each hour.
    """
    window_end = start + HOUR * hours if end is None else end
    boundaries = np.append(hour_starts(start, hours), start + HOUR * hours)
    if times.size == 0:
        return np.full(hours, np.nan), np.zeros(hours)
    times, values = _sorted(times, values)
    breaks = np.append(times, max(window_end, times[-1]))
    durations = np.diff(breaks)
    known = ~np.isnan(values)
    integral = np.concatenate(([0.0], np.cumsum(np.where(known, values, 0.0) * durations)))
    known_time = np.concatenate(([0.0], np.cumsum(known * durations)))
    integral_at = np.diff(np.interp(boundaries, breaks, integral))
    known_at = np.diff(np.interp(boundaries, breaks, known_time))
    known_fraction = np.clip(known_at / HOUR, 0.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = integral_at / known_at
    means[known_fraction < MIN_KNOWN_FRACTION] = np.nan
    return means, known_fraction


def hourly_meter_increments(
    times: FloatArray,
    readings: FloatArray,
    start: float,
    hours: int,
    end: float | None = None,
    *,
    decrease_is_reset: bool = True,
) -> HourlySeries:
    """Hourly consumption from the readings of a cumulative meter (``total_increasing``).

    Between two numeric readings with nothing unknown in between, the increase is spread
    evenly over the time between them, so a clean meter's total is preserved exactly. A
    decrease of a ``total_increasing`` meter is a reset or a replaced meter: what was used
    around it is unknown, so those hours are NaN and flagged (with ``decrease_is_reset`` off, as
    for a ``total`` that may go down, a decrease is negative use). Hours that overlap an unknown
    stretch are NaN, never zero.
    """
    window_end = start + HOUR * hours if end is None else end
    boundaries = np.append(hour_starts(start, hours), start + HOUR * hours)
    if times.size == 0:
        return HourlySeries(np.full(hours, np.nan), {Flag.METER_RESET: np.zeros(hours, bool)})
    times, readings = _sorted(times, readings)

    # Segments between consecutive readings; a segment is usable when both ends are numbers.
    # After the last reading the meter holds its value until the end of the window.
    seg_start = times
    seg_end = np.append(times[1:], max(window_end, times[-1]))
    next_reading = np.append(readings[1:], readings[-1])
    increase = next_reading - readings
    usable = ~np.isnan(readings) & ~np.isnan(next_reading)
    is_reset = usable & (increase < 0) & decrease_is_reset
    usable &= ~is_reset
    increase = np.where(usable, increase, 0.0)

    # Cumulative clean consumption at each segment boundary, linear inside a segment.
    breaks = np.append(seg_start, seg_end[-1])
    cumulative = np.concatenate(([0.0], np.cumsum(increase)))
    values = np.diff(np.interp(boundaries, breaks, cumulative))

    # An hour is unknown if any unusable segment overlaps it, or if it is not covered at all.
    covered = (boundaries[1:] > times[0]) & (boundaries[:-1] < breaks[-1])
    unknown = ~covered | _hours_overlapping(seg_start[~usable], seg_end[~usable], start, hours)
    reset = _hours_overlapping(seg_start[is_reset], seg_end[is_reset], start, hours)
    # The hour of the first reading is only partly known: nothing was read before it.
    unknown |= (boundaries[:-1] < times[0]) & covered
    values[unknown] = np.nan
    return HourlySeries(values, {Flag.METER_RESET: reset})


def _hours_overlapping(
    span_starts: FloatArray, span_ends: FloatArray, start: float, hours: int
) -> BoolArray:
    """Hours of the window that overlap any of the given spans (a difference array, O(n))."""
    first = np.clip(np.floor((span_starts - start) / HOUR), 0, hours).astype(np.int64)
    last = np.clip(np.ceil((span_ends - start) / HOUR), 0, hours).astype(np.int64)
    # A zero-length span still marks the hour it falls in.
    last = np.maximum(last, np.minimum(first + 1, hours))
    counts = np.zeros(hours + 1, dtype=np.int64)
    np.add.at(counts, first, 1)
    np.add.at(counts, last, -1)
    return np.cumsum(counts[:-1]) > 0


def flag_implausible(values: FloatArray, *, cumulative_source: bool) -> dict[Flag, BoolArray]:
    """Flag hours that must not be learned from.

    For energy per hour (``cumulative_source``): negative consumption, and spikes worth
    ``SPIKE_RATIO`` times the typical (median) non-zero hour. For measurements: values
    ``SPIKE_ROBUST_Z`` robust standard deviations away from the median.
    """
    known = ~np.isnan(values)
    negative = np.zeros(values.shape, dtype=bool)
    spike = np.zeros(values.shape, dtype=bool)
    if cumulative_source:
        negative = known & (values < 0)
        positive = values[known & (values > 0)]
        if positive.size:
            spike = known & (values > SPIKE_RATIO * float(np.median(positive)))
        return {Flag.NEGATIVE: negative, Flag.SPIKE: spike}
    if known.any():
        median = float(np.median(values[known]))
        spread = 1.4826 * float(np.median(np.abs(values[known] - median)))
        if spread > 0:
            spike = known & (np.abs(values - median) > SPIKE_ROBUST_Z * spread)
    return {Flag.SPIKE: spike}


def mask_periods(hour_starts_s: FloatArray, periods: Iterable[tuple[float, float]]) -> BoolArray:
    """Hours that overlap any of the given [start, end) periods."""
    mask = np.zeros(hour_starts_s.shape, dtype=bool)
    for period_start, period_end in periods:
        mask |= (hour_starts_s < period_end) & (hour_starts_s + HOUR > period_start)
    return mask
