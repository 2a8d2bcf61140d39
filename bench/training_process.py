"""Benchmark: the training process's memory. ``python -m bench.training_process``.

Starts Foresight's training process the way Home Assistant does, fits a whole training
(forecaster, anomaly detector, insight) on two years of a synthetic home three times per
engine in it, and prints the child's resident memory at start, after the fits and at its peak.

Why not ``bench.entries``: a ``spawn`` child first imports its parent's main module. Home
Assistant's (``homeassistant.__main__``) is light; ``bench.entries`` imports Home Assistant's
test harness, so the child there carries that too. This module imports nothing heavy at the
top, so the child here carries what it would in Home Assistant.
"""

import argparse
import json
from typing import Any

RUNS = 3


def _measure(engine: str) -> dict[str, Any]:
    # Imported here, not at the top: the child imports this module first (see above).
    from custom_components.foresight.ml.quality import DataQuality  # noqa: PLC0415
    from custom_components.foresight.ml.synthetic import synthetic_home  # noqa: PLC0415
    from custom_components.foresight.training import FitSettings, fit_models  # noqa: PLC0415
    from custom_components.foresight.training_executor import (  # noqa: PLC0415
        _TrainingProcess,
    )

    from .history import _memory_kib  # noqa: PLC0415

    def memory_mib(field: str) -> float:
        return round(_memory_kib(field, process.pid) / 1024, 1)

    frame = synthetic_home(732, start="2024-10-30", seed=1)
    frame["excluded"] = False
    hours = len(frame)
    quality = DataQuality(hours, hours, hours, None, None, {}, "statistics")
    settings = FitSettings(
        time_zone="Europe/Berlin",
        country="DE",
        engine=engine,
        horizon_hours=48,
        feature_columns=("outdoor_temp",),
        sensitivity="medium",
        energy_like=True,
        temperature_column="outdoor_temp",
    )
    process = _TrainingProcess.start()
    try:
        at_start = memory_mib("VmRSS")
        for _ in range(RUNS):
            models = process.pool.submit(fit_models, frame, quality, settings).result()
        return {
            "engine": engine,
            "fitted": models.forecaster is not None,
            "rss_at_start_mib": at_start,
            "rss_after_fits_mib": memory_mib("VmRSS"),
            "peak_rss_mib": memory_mib("VmHWM"),
        }
    finally:
        process.end()


def main() -> None:
    """Command-line entry point: prints one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    results = [_measure(engine) for engine in ("sklearn", "numpy")]
    print(json.dumps({"benchmark": "training_process", "fits_each": RUNS, "runs": results}))


if __name__ == "__main__":
    main()
