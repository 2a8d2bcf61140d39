"""bench.panel and bench.panel_data: which houses join, their test periods, the panel figures."""

import pandas as pd

from bench.panel import anomaly_summary, forecast_summary, pooled_skill
from bench.panel_data import (
    eligibility,
    evaluation_period,
    holdout_eligibility,
    hourly_from_readings,
    missing_share,
)


def _hours(first: str, days: int) -> pd.Series:
    index = pd.date_range(first, periods=days * 24, freq="h")
    return pd.Series(1.0, index=index)


def test_two_years_test_the_last_365_days() -> None:
    start, last = evaluation_period(_hours("2012-01-01", 800)) or (None, None)
    assert last == pd.Timestamp("2014-03-10")
    assert start == last - pd.Timedelta(days=364)


def test_a_shorter_house_tests_what_follows_its_first_year() -> None:
    start, last = evaluation_period(_hours("2012-06-01", 640)) or (None, None)
    assert start == pd.Timestamp("2013-06-01")
    assert last is not None
    assert (last - start).days + 1 == 640 - 365


def test_under_a_year_plus_180_days_is_not_eligible() -> None:
    assert evaluation_period(_hours("2012-06-01", 365 + 179)) is None
    assert not eligibility(_hours("2012-06-01", 400))["eligible"]


def test_missing_hours_in_the_history_year_exclude_a_house() -> None:
    series = _hours("2012-06-01", 640)
    assert eligibility(series)["eligible"]
    history = (series.index >= "2013-01-01") & (series.index < "2013-03-01")
    thinned = series[~history]
    assert missing_share(thinned, pd.Timestamp("2012-06-01"), pd.Timestamp("2013-06-01")) > 0.1
    assert not eligibility(thinned)["eligible"]


def _forecast(mae: float, best: float, hours: int, coverage: float = 0.8) -> dict[str, object]:
    return {
        "mae_p50": mae,
        "hours_scored": hours,
        "best_baseline": "mean_7d",
        "baseline_mae": {"mean_7d": best, "yesterday": best + 1},
        "skill_vs_best_baseline": 1 - mae / best,
        "coverage_p10_p90": coverage,
    }


def test_pooled_skill_weighs_houses_by_their_errors_and_hours() -> None:
    small = _forecast(0.1, 0.2, hours=1000)  # skill 50 %
    large = _forecast(0.9, 1.0, hours=3000)  # skill 10 %
    assert abs(pooled_skill([small, large]) - (1 - 2.8 / 3.2)) < 1e-12
    summary = forecast_summary("sklearn", [small, large, _forecast(0.5, 0.5, 10, 0.7)])
    assert summary["median_skill"] == 0.1
    assert summary["houses_meeting_target"] == 1
    assert summary["houses_coverage_75_85"] == 2


def test_anomaly_summary_sums_events_and_false_alarms() -> None:
    good = {"events": 10, "detected": 9, "false_alarms": 5, "weeks": 20.0}
    noisy = {"events": 10, "detected": 10, "false_alarms": 30, "weeks": 20.0}
    summary = anomaly_summary([good, noisy])
    assert summary["recall"] == 0.95
    assert summary["false_alarms_per_week"] == 0.875
    assert summary["houses_meeting_both"] == 1


def test_the_held_out_set_needs_both_halves_of_2013() -> None:
    year = pd.Series(1.0, index=pd.date_range("2013-01-01", "2013-12-31 23:00", freq="h"))
    verdict = holdout_eligibility(year)
    assert verdict["eligible"]
    assert verdict["test_start"] == "2013-07-01"
    assert not holdout_eligibility(year[year.index < "2013-11-01"])["eligible"]
    assert not holdout_eligibility(year[year.index >= "2013-02-01"])["eligible"]


def test_readings_become_clock_time_hours_across_both_clock_changes() -> None:
    # The source reads standard time (UTC+10) all year. Sydney's clocks go back at 03:00 on
    # 2013-04-07 (02:00-03:00 happens twice) and forward at 02:00 on 2013-10-06.
    stamps = [
        *pd.date_range("2013-04-07 00:00", "2013-04-07 03:30", freq="30min"),
        *pd.date_range("2013-10-06 00:00", "2013-10-06 04:00", freq="30min"),
    ]
    table = pd.DataFrame({"customer_id": 7, "reading_datetime": stamps, "general_supply_kwh": 0.25})
    hours = hourly_from_readings(table)["7"]
    # Autumn: 00:00 and 01:00 standard time are 01:00 and 02:00 daylight time; 02:00 standard
    # time is 02:00 again (the repeated hour: dropped); 03:00 stays 03:00.
    assert list(hours.loc["2013-04-07"].index.hour) == [1, 3]
    # Spring: 00:00 and 01:00 stay; 02:00 and 03:00 standard time are 03:00 and 04:00; the
    # last hour has one half-hour only and is dropped.
    assert list(hours.loc["2013-10-06"].index.hour) == [0, 1, 3, 4]
    assert (hours == 0.5).all()
