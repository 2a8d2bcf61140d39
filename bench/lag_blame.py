r"""Who had the CPUs while Home Assistant's event loop woke up late. ``python -m bench.lag_blame``.

A late wake-up of the loop is either the loop's own work (its callbacks) or the loop waiting:
for the GIL, or for a CPU that something else holds. ``bench.entries`` itemises each lag over
the limit with the loop thread's own kernel accounting; this adds, from a ``perf`` scheduler
trace of the same run, what ran on each CPU during that window, grouped as Home Assistant's
loop thread, its other threads (recorder, executor), Foresight's training process, the
benchmark's bare loop in a process of its own, and every other process on the machine (named,
busiest first). perf counts time a virtual CPU was stolen by the host as time on a CPU of the
task that had it, so a long stretch of the bare loop (which does next to nothing) is the
machine stalling it::

    perf sched record -k CLOCK_MONOTONIC -a -o bench/out/entries.perf -- \
        .venv/bin/python -m bench.entries > bench/out/entries.json
    .venv/bin/python -m bench.lag_blame --bench bench/out/entries.json \
        --perf-data bench/out/entries.perf

Needs ``perf`` with the scheduler tracepoints (tracefs mounted) and root or
``kernel.perf_event_paranoid`` <= 1. ``-k CLOCK_MONOTONIC`` makes perf stamp events with
the clock the benchmark's windows are on (perf's own clock drifts from it by milliseconds).
"""

import argparse
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
import json
import os
from pathlib import Path
import re
import subprocess
from typing import Any

_TASK = re.compile(r"^(?P<comm>.*)\[(?P<tid>\d+)(?:/(?P<pid>\d+))?\]$")
PHASES = ("cold_start", "warm_start")


@dataclass(frozen=True, slots=True)
class Slice:
    """A task's stretch on one CPU, on the monotonic clock in seconds."""

    start: float
    end: float
    comm: str
    tid: int
    pid: int


def parse_timehist(text: str) -> list[Slice]:
    """The run slices of ``perf sched timehist`` output (idle time is left out).

    Each row is a task leaving a CPU: the time, the CPU, the task, then its wait time,
    scheduling delay and run time in milliseconds; it ran for the run time before the row.
    """
    slices = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 6 or not fields[1].startswith("["):
            continue
        try:
            end = float(fields[0])
            run_ms = float(fields[-1])
        except ValueError:
            continue  # the header
        match = _TASK.match(" ".join(fields[2:-3]))
        if match is None or match["comm"] == "<idle>":
            continue
        tid = int(match["tid"])
        pid = int(match["pid"]) if match["pid"] else tid
        slices.append(Slice(end - run_ms / 1000, end, match["comm"], tid, pid))
    return slices


def blame(
    slices: list[Slice],
    start: float,
    end: float,
    *,
    process: int,
    training: AbstractSet[int],
    bare_loop: AbstractSet[int] = frozenset(),
) -> dict[str, Any]:
    """CPU milliseconds, summed over all CPUs, spent by each group within ``[start, end]``."""
    groups: dict[str, float] = {}
    others: dict[str, float] = {}
    for piece in slices:
        overlap = min(piece.end, end) - max(piece.start, start)
        if overlap <= 0:
            continue
        if piece.tid == process:
            group = "home_assistant_loop_thread"
        elif piece.pid == process:
            group = "home_assistant_other_threads"
        elif piece.pid in training:
            group = "foresight_training_process"
        elif piece.pid in bare_loop:
            # It does next to nothing: a long stretch "on a CPU" is the machine stalling it.
            group = "benchmark_bare_loop"
        else:
            group = "other_processes"
            name = f"{piece.comm}[{piece.pid}]"
            others[name] = others.get(name, 0.0) + 1000 * overlap
        groups[group] = groups.get(group, 0.0) + 1000 * overlap
    capacity = 1000 * (end - start) * (os.cpu_count() or 1)
    return {
        **{name: round(ms, 1) for name, ms in sorted(groups.items())},
        "idle": round(capacity - sum(groups.values()), 1),
        "busiest_other_processes": [
            (name, round(others[name], 1))
            for name in sorted(others, key=others.__getitem__, reverse=True)[:3]
        ],
    }


def main() -> None:
    """Command-line entry point: prints one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bench", type=Path, required=True, help="bench.entries' JSON output")
    parser.add_argument("--perf-data", type=Path, required=True, help="perf sched record output")
    args = parser.parse_args()
    result = json.loads(args.bench.read_text(encoding="utf-8"))
    timehist = subprocess.run(  # noqa: S603 - perf with our own arguments
        ["perf", "sched", "timehist", "-i", str(args.perf_data)],  # noqa: S607 - perf from PATH
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    slices = parse_timehist(timehist)
    process, training = result["process_id"], set(result["training_process_ids"])
    report: dict[str, Any] = {"benchmark": "lag_blame", "slices": len(slices)}
    for phase in PHASES:
        report[phase] = [
            {
                **late,
                "cpu_ms_by_group": blame(
                    slices,
                    late["window_start_s"],
                    late["window_start_s"] + late["window_ms"] / 1000,
                    process=process,
                    training=training,
                    bare_loop=set(result["bare_loop_process_ids"]),
                ),
            }
            for late in result[f"{phase}_loop_lags_over_limit"]
        ]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
