"""bench.lag_blame: reads perf's scheduler history and splits a late window's CPU time."""

from bench.lag_blame import Slice, blame, parse_timehist

TIMEHIST = """\
           time    cpu  task name                       wait time  sch delay   run time
                        [tid/pid]                          (msec)     (msec)     (msec)
--------------- ------  ------------------------------  ---------  ---------  ---------
     100.010000 [0000]  python[500]                         0.000      4.000      2.000
     100.012000 [0001]  DbWorker_0[503/500]                 0.000      0.000     12.000
     100.020000 [0000]  python[600]                         0.000      0.000      8.000
     100.021000 [0001]  <idle>                              0.000      0.000      9.000
     100.030000 [0001]  Recorder[701/700]                   1.000      0.500     10.000
"""


def test_parse_timehist_turns_rows_into_run_slices() -> None:
    slices = parse_timehist(TIMEHIST)
    assert [(s.comm, s.tid, s.pid) for s in slices] == [
        ("python", 500, 500),
        ("DbWorker_0", 503, 500),
        ("python", 600, 600),
        ("Recorder", 701, 700),
    ]
    assert slices[1].start == 100.0
    assert slices[1].end == 100.012


def test_blame_groups_the_cpu_time_inside_the_window() -> None:
    slices = parse_timehist(TIMEHIST)
    report = blame(slices, 100.005, 100.025, process=500, training={600})
    assert report["home_assistant_loop_thread"] == 2.0
    assert report["home_assistant_other_threads"] == 7.0  # DbWorker_0 from 100.005 on
    assert report["foresight_training_process"] == 8.0
    assert report["other_processes"] == 5.0  # Recorder[700] from 100.020 on
    assert report["busiest_other_processes"] == [("Recorder[700]", 5.0)]


def test_blame_of_a_window_nothing_ran_in_is_empty() -> None:
    report = blame([Slice(1.0, 2.0, "python", 5, 5)], 3.0, 4.0, process=5, training=set())
    assert report["busiest_other_processes"] == []
    assert "home_assistant_loop_thread" not in report


def test_blame_names_the_benchmarks_own_bare_loop() -> None:
    slices = parse_timehist(TIMEHIST)
    report = blame(slices, 100.005, 100.025, process=500, training=set(), bare_loop={600})
    assert report["benchmark_bare_loop"] == 8.0
    assert "foresight_training_process" not in report
