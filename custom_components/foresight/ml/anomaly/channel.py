"""One numeric sensor channel: robust recent behaviour, impossible jumps and stuck values.

Every threshold is learnt from the channel's own history, so the same code serves a
temperature sampled every 5 seconds and a humidity sampled every 15 minutes:

* out of range: further outside the history's P0.1-P99.9 range than a quarter of its span;
* deviation: far from the median of the recent readings, in robust (MAD) units, beyond the
  history's own P99.95 of that measure;
* jump: a change per sampling interval beyond the history's P99.99;
* stuck: unchanged for several times longer than the longest run of equal readings seen.
"""

from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .robust import MAD_TO_SIGMA, FloatArray, nan_quantile, robust_scale
from .serial import datetime_from_json, datetime_to_json, float_from_json, float_to_json
from .status import AnomalyKind

RANGE_SHARE = 0.25
DEVIATION_QUANTILE = 0.9995
MIN_DEVIATION_Z = 4.0
JUMP_QUANTILE = 0.9999
STUCK_FACTOR = 3.0
STUCK_MIN_STEPS = 20
GAP_STEPS = 10
"""A pause longer than this many intervals starts afresh (no jump, run or window across it)."""


def window_size(step: timedelta) -> int:
    """Readings in the recent window: about ten minutes, between 30 and 720 readings."""
    seconds = max(step.total_seconds(), 1e-3)
    return int(min(max(math.ceil(600.0 / seconds), 30), 720))


def equal_readings(a: float, b: float) -> bool:
    """Whether two readings count as "unchanged"."""
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


@dataclass(frozen=True, slots=True)
class ChannelThresholds:
    """What is normal for one channel, learnt from its history.

    Attributes:
        low: P0.1 of the values.
        high: P99.9 of the values.
        center: Median of the values.
        scale: Robust spread of the values.
        deviation_z: Threshold of the distance to the recent median, in recent MAD units.
        deviation_floor: Smallest recent spread used (so flat stretches do not divide by 0).
        jump: Largest ordinary change per sampling interval.
        stuck_seconds: How long a value may stay unchanged before it counts as stuck.
    """

    low: float
    high: float
    center: float
    scale: float
    deviation_z: float
    deviation_floor: float
    jump: float
    stuck_seconds: float


def runs_of_equal(values: FloatArray, seconds: FloatArray, step: float) -> FloatArray:
    """Durations (seconds, plus one interval) of the runs of unchanged readings.

    A gap ends a run, as online.
    """
    if values.size == 0:
        return np.zeros(0)
    change = np.ones(values.size, dtype=bool)
    change[1:] = ~np.isclose(values[1:], values[:-1], rtol=1e-12, atol=0.0)
    change[1:] |= np.diff(seconds) > GAP_STEPS * step
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:] - 1, values.size - 1)
    return np.asarray(seconds[ends] - seconds[starts] + step, dtype=np.float64)


def segments[T: np.generic](
    values: npt.NDArray[T], seconds: FloatArray, step: float
) -> list[npt.NDArray[T]]:
    """The readings split where a pause is longer than ``GAP_STEPS`` intervals."""
    breaks = np.flatnonzero(np.diff(seconds) > GAP_STEPS * step) + 1
    return np.split(values, breaks)


def deviation_scores(values: FloatArray, window: int, floor: float) -> FloatArray:
    """Each reading's distance to the median of the readings before it, in MAD units.

    As online, the recent window holds up to ``window`` readings and is used once half full
    (NaN before). Call it per contiguous stretch: the online window starts afresh after a gap.
    """
    series = pd.Series(values)
    median = series.rolling(window, min_periods=window // 2).median().shift(1)
    mad = (series - median).abs().rolling(window, min_periods=window // 2).median().shift(1)
    z = (series - median).abs() / np.maximum(mad * MAD_TO_SIGMA, floor)
    return np.asarray(z, dtype=np.float64)


def learn_channel(values: FloatArray, seconds: FloatArray, step: float) -> ChannelThresholds:
    """Learn one channel's thresholds from its history.

    Args:
        values: The readings, NaN for missing ones.
        seconds: Their times in seconds.
        step: The usual sampling interval in seconds.

    Returns:
        The thresholds.
    """
    keep = np.isfinite(values)
    v, t = values[keep], seconds[keep]
    low, high = nan_quantile(v, 0.001), nan_quantile(v, 0.999)
    scale = robust_scale(v)
    span_floor = max(abs(float(np.median(v))) * 1e-3, 1e-9) if v.size else 1e-9
    diff = np.diff(v)
    gap = np.diff(t)
    per_step = np.abs(diff) / np.maximum(gap, step) * step
    per_step = per_step[gap <= GAP_STEPS * step]
    moving = per_step[per_step > 0]
    deviation_floor = max(robust_scale(moving) if moving.size else 0.0, span_floor)
    window = window_size(timedelta(seconds=step))
    z = np.concatenate(
        [deviation_scores(part, window, deviation_floor) for part in segments(v, t, step)]
    )
    deviation_z = max(nan_quantile(z, DEVIATION_QUANTILE), MIN_DEVIATION_Z) if z.size else 6.0
    jump = nan_quantile(per_step, JUMP_QUANTILE) if per_step.size else math.nan
    runs = runs_of_equal(v, t, step)
    longest = float(np.max(runs)) if runs.size else step
    return ChannelThresholds(
        low=low,
        high=high,
        center=float(np.median(v)) if v.size else math.nan,
        scale=max(scale, span_floor) if math.isfinite(scale) else span_floor,
        deviation_z=deviation_z if math.isfinite(deviation_z) else 6.0,
        deviation_floor=deviation_floor,
        jump=max(jump, deviation_floor) if math.isfinite(jump) else deviation_floor,
        stuck_seconds=max(STUCK_FACTOR * longest, STUCK_MIN_STEPS * step),
    )


@dataclass(frozen=True, slots=True)
class ChannelEvidence:
    """One channel's strongest evidence for a reading.

    Attributes:
        kind: Which test gave it.
        evidence: Multiple of the threshold.
        expected: The usual value (recent median or history median).
        previous: The reading before.
        since: Start of the behaviour (stuck runs).
    """

    kind: AnomalyKind
    evidence: float
    expected: float | None
    previous: float | None
    since: datetime | None


@dataclass(slots=True)
class ChannelState:
    """Online state of one channel.

    Attributes:
        thresholds: What is normal.
        window: Capacity of the recent window.
        recent: The recent readings.
        last_value: The previous reading.
        last_time: When it came.
        run_start: When the current run of unchanged readings started.
    """

    thresholds: ChannelThresholds
    window: int
    recent: deque[float] = field(default_factory=deque)
    last_value: float = math.nan
    last_time: datetime | None = None
    run_start: datetime | None = None

    def update(
        self, moment: datetime, value: float, step: timedelta, margin: float
    ) -> ChannelEvidence | None:
        """Judge one reading and remember it.

        Returns:
            The strongest evidence, ``None`` for a missing reading.
        """
        if not math.isfinite(value):
            return None
        t = self.thresholds
        fresh = self.last_time is None or moment - self.last_time > GAP_STEPS * step
        previous = None if fresh else self.last_value
        if fresh:
            self.recent.clear()
        evidence: dict[AnomalyKind, float] = {}
        span = max(t.high - t.low, t.scale)
        outside = max(value - t.high, t.low - value, 0.0)
        evidence[AnomalyKind.OUT_OF_RANGE] = outside / (RANGE_SHARE * span * margin)
        expected = t.center
        if len(self.recent) >= self.window // 2:
            recent = np.fromiter(self.recent, dtype=np.float64, count=len(self.recent))
            expected = float(np.median(recent))
            spread = float(np.median(np.abs(recent - expected))) * MAD_TO_SIGMA
            z = abs(value - expected) / max(spread, t.deviation_floor)
            evidence[AnomalyKind.DEVIATION] = z / (t.deviation_z * margin)
        if previous is not None and self.last_time is not None:
            elapsed = max((moment - self.last_time) / step, 1.0)
            evidence[AnomalyKind.JUMP] = abs(value - previous) / elapsed / (t.jump * margin)
        if previous is None or not equal_readings(value, previous) or self.run_start is None:
            self.run_start = moment
        run = (moment - self.run_start + step).total_seconds()
        evidence[AnomalyKind.STUCK] = run / (t.stuck_seconds * margin)
        self.recent.append(value)
        while len(self.recent) > self.window:
            self.recent.popleft()
        self.last_value, self.last_time = value, moment
        kind = max(evidence, key=evidence.__getitem__)
        return ChannelEvidence(
            kind=kind,
            evidence=evidence[kind],
            expected=expected,
            previous=previous,
            since=self.run_start if kind is AnomalyKind.STUCK else None,
        )

    def accept_stuck(self, moment: datetime, step: timedelta) -> None:
        """Feedback: the current unchanged run was normal, so allow runs this long."""
        if self.run_start is None:
            return
        run = (moment - self.run_start + step).total_seconds()
        if run >= self.thresholds.stuck_seconds / 2:
            longer = max(self.thresholds.stuck_seconds, STUCK_FACTOR * run)
            self.thresholds = ChannelThresholds(
                **{**asdict(self.thresholds), "stuck_seconds": longer}
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable state."""
        return {
            "thresholds": {k: float_to_json(v) for k, v in asdict(self.thresholds).items()},
            "window": self.window,
            "recent": list(self.recent),
            "last_value": float_to_json(self.last_value),
            "last_time": datetime_to_json(self.last_time),
            "run_start": datetime_to_json(self.run_start),
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> ChannelState:
        """Rebuild from :meth:`to_dict` output."""
        thresholds = {k: float_from_json(v) for k, v in state["thresholds"].items()}
        return cls(
            thresholds=ChannelThresholds(**thresholds),
            window=int(state["window"]),
            recent=deque(float(v) for v in state["recent"]),
            last_value=float_from_json(state["last_value"]),
            last_time=datetime_from_json(state["last_time"]),
            run_start=datetime_from_json(state["run_start"]),
        )
