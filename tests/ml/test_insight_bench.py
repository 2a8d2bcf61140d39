"""The insight benchmark runs and reports truth against estimates."""

import json

import pytest

from bench.insight import SCENARIOS, main, run_scenario


def test_scenario_report_compares_truth_and_estimate() -> None:
    scenario = next(s for s in SCENARIOS if s.name == "base_step_heated")
    report = run_scenario(scenario, seeds=2)
    change = report["figures"]["base_load_change_w"]
    assert change["truth"] == 120.0
    assert change["missing"] == 0
    assert change["max_rel_error_percent"] < 10.0
    assert change["min"] <= change["mean"] <= change["max"]


def test_main_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--seeds", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["synthetic"]) == {scenario.name for scenario in SCENARIOS}
    assert report["synthetic"]["unheated_top_hours"]["figures"]["top_hours_0"]["matches"] == 1
    assert "real" not in report
