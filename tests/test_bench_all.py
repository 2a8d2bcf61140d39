"""bench.all: finds each benchmark's JSON, judges the targets, and says when it cannot."""

import json
from pathlib import Path

from bench.all import (
    BENCHMARKS,
    Benchmark,
    Target,
    json_documents,
    pick,
    rows,
    run,
    table_text,
)

SKILL = Target("skill", ">= 12 %", lambda r: f"{r['skill']:.0%}", lambda r: r["skill"] >= 0.12)


def test_json_documents_skips_text_and_nested_braces() -> None:
    text = 'log line {not json}\n{"case": "a", "x": {"y": 1}}\nmore\n{"case": "b"}\n'
    assert json_documents(text) == [{"case": "a", "x": {"y": 1}}, {"case": "b"}]


def test_pick_takes_the_named_case_or_the_last_document() -> None:
    documents = [{"case": "frost"}, {"case": "voltage"}]
    assert pick(documents, "frost") == {"case": "frost"}
    assert pick(documents, None) == {"case": "voltage"}


def test_targets_are_judged_and_unreadable_results_are_errors() -> None:
    benchmark = Benchmark("forecast", ("bench.forecast",), (SKILL,))
    assert rows(benchmark, {"skill": 0.15}) == [("skill", ">= 12 %", "15%", "met")]
    assert rows(benchmark, {"skill": 0.07})[0][3] == "MISSED"
    assert rows(benchmark, {"other": 1})[0][3] == "ERROR"


def test_a_benchmark_runs_as_a_process(tmp_path: Path) -> None:
    result = tmp_path / "result.json"
    result.write_text(json.dumps({"skill": 0.2}))
    ok = Benchmark("fake", ("json.tool", str(result)), (SKILL,))
    lines, _ = run(ok)
    assert lines == [("skill", ">= 12 %", "20%", "met")]
    broken = Benchmark("fake", ("json.tool", str(tmp_path / "missing.json")), (SKILL,))
    lines, _ = run(broken)
    assert lines[0][3] == "ERROR"
    assert "exit" in lines[0][2]


def test_every_issue_target_has_a_row() -> None:
    measures = " | ".join(target.measure for b in BENCHMARKS for target in b.targets)
    for needle in ("skill", "coverage", "fit 17,520", "anomaly events", "20 entries", "lag"):
        assert needle in measures


def test_table_as_markdown() -> None:
    text = table_text([("forecast", "skill", ">= 12 %", "15%", "met")], markdown=True)
    assert text.splitlines()[2] == "| forecast | skill | >= 12 % | 15% | met |"
