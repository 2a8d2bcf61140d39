"""Anomaly detection for energy and generic numeric sensors.

Pure Python, NumPy and pandas; scikit-learn is used only when installed, for several sensors
together. Both detectors are online (a reading's verdict uses only it and earlier readings),
explain themselves, take "this was normal/abnormal" feedback and persist as JSON.

Typical use from the glue::

    detector = fit_energy_detector(frame, AnomalySettings(time_zone="Europe/Berlin"))
    status = detector.update(hour_start, kwh, expected=Expectation(p10, p50, p90))
    status.describe(unit="kWh", time_zone="Europe/Berlin")
    state = detector.to_dict()  # json.dumps-able; restore with restore_detector(state)

Judged against the forecast engine's bands, the thresholds must be learnt against such bands
too: replay the forecaster over the history with :func:`rolling_expectations` and pass the
result as ``fit_energy_detector(frame, settings, expected=bands)``; online,
:class:`RollingExpectations` gives each hour's band the same way.
"""

from typing import Any

from .energy import EnergyAnomalyDetector
from .energy_fit import fit_energy_detector
from .expected import RollingExpectations, RollingPlan, rolling_expectations
from .explain import explain_text
from .multivariate import sklearn_available
from .periods import Feedback, Period, period_mask
from .readings import (
    fit_reading_detector,
    judges_readings,
    judging_step,
    last_complete_bucket,
    readings_on_grid,
)
from .sensor import SensorAnomalyDetector, fit_sensor_detector
from .settings import AnomalySettings
from .status import AnomalyKind, AnomalyStatus, Expectation, Explanation

type AnomalyDetector = EnergyAnomalyDetector | SensorAnomalyDetector

REFIT_GROWTH = 2.0
"""A retrain replaces the detector once the history is twice the span it learnt from.

Once a home's history fills the training window a detector is kept for good, so a change to
how thresholds are learnt reaches it only through a new ``STATE_VERSION`` (a saved state of
another version is refused, and the next retrain fits afresh)."""


def continue_detector(new: AnomalyDetector, previous: AnomalyDetector | None) -> AnomalyDetector:
    """The detector to go on with after a retrain fitted ``new`` to replace ``previous``.

    The detector in use is kept unless the new one learnt from a history at least twice as
    long (a young history still growing), with other settings, or judges readings where the
    one in use judges hourly values (or the other way round): a refit over about the same
    span learns the alarms raised since as normal (on the benchmark house's year that cost 12
    of 73 events, docs/benchmarks/anomaly.md). A replacement takes over the online state (an
    alarm that is on stays on, feedback, hours kept out of learning).
    """
    if isinstance(new, EnergyAnomalyDetector) and isinstance(previous, EnergyAnomalyDetector):
        return _carry_on(new, previous)
    if isinstance(new, SensorAnomalyDetector) and isinstance(previous, SensorAnomalyDetector):
        return _carry_on(new, previous)
    return new


def _carry_on[D: (EnergyAnomalyDetector, SensorAnomalyDetector)](new: D, previous: D) -> D:
    same_settings = new.settings == previous.settings  # e.g. Home Assistant's time zone
    # Hourly values against readings: the recorder now keeps enough readings, or no longer does.
    same_pace = judges_readings(new) == judges_readings(previous)
    if same_settings and same_pace and new.history_hours < REFIT_GROWTH * previous.history_hours:
        return previous
    new.continue_from(previous)
    return new


def restore_detector(state: dict[str, Any]) -> AnomalyDetector:
    """Rebuild either kind of detector from its ``to_dict()`` state.

    Raises:
        ValueError: If the state names no known detector kind.
    """
    match state.get("kind"):
        case "energy":
            return EnergyAnomalyDetector.from_dict(state)
        case "sensor":
            return SensorAnomalyDetector.from_dict(state)
        case other:
            msg = f"unknown detector kind {other!r}"
            raise ValueError(msg)


__all__ = [
    "AnomalyDetector",
    "AnomalyKind",
    "AnomalySettings",
    "AnomalyStatus",
    "EnergyAnomalyDetector",
    "Expectation",
    "Explanation",
    "Feedback",
    "Period",
    "RollingExpectations",
    "RollingPlan",
    "SensorAnomalyDetector",
    "continue_detector",
    "explain_text",
    "fit_energy_detector",
    "fit_reading_detector",
    "fit_sensor_detector",
    "judges_readings",
    "judging_step",
    "last_complete_bucket",
    "period_mask",
    "readings_on_grid",
    "restore_detector",
    "rolling_expectations",
    "sklearn_available",
]
