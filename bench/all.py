"""Run the whole benchmark set and print one table: ``python -m bench.all``.

Each benchmark runs as its own process (``python -m bench.<name> ...``, the same commands
docs/BENCHMARKS.md quotes), one after the other so that they do not disturb each other's
timings; each prints JSON, from which one row per target is taken. ``--only NAME`` runs the
benchmarks whose name contains NAME; ``--markdown`` prints the table as Markdown.
Run it on a quiet machine: speed figures are only meaningful there.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
import json
import os
from pathlib import Path
import subprocess
import sys
import time
from typing import Any

OUT = Path(__file__).parent / "out"

type Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Target:
    """One row of the table: what is measured, the target, and how to read the result."""

    measure: str
    target: str
    value: Callable[[Json], str]
    met: Callable[[Json], bool] | None = None


@dataclass(frozen=True, slots=True)
class Benchmark:
    """One benchmark command and the targets its output shows."""

    name: str
    arguments: tuple[str, ...]
    targets: tuple[Target, ...]
    # Benchmarks that print one JSON document per case: the one whose "case" is this.
    case: str | None = None


def _forecast(engine: str, skill: float) -> Benchmark:
    return Benchmark(
        f"forecast-{engine}",
        (
            "bench.forecast",
            "--dataset",
            "household",
            "--engine",
            engine,
            "--out",
            str(OUT / f"all_forecast_{engine}.csv"),
        ),
        (
            Target(
                f"forecast skill vs best baseline, household ({engine})",
                f">= {skill:.0%}",
                lambda r: f"{r['skill_vs_best_baseline']:.1%}",
                lambda r: r["skill_vs_best_baseline"] >= skill,
            ),
            Target(
                f"P10-P90 coverage, household ({engine})",
                "75-85 %",
                lambda r: f"{r['coverage_p10_p90']:.1%}",
                lambda r: 0.75 <= r["coverage_p10_p90"] <= 0.85,
            ),
        ),
    )


def _speed(engine: str, fit_limit: float) -> tuple[Target, ...]:
    return (
        Target(
            f"fit 17,520 h, 6 groups ({engine})",
            f"<= {fit_limit} s",
            lambda r: f"{r[engine]['fit_seconds_median']:.2f} s",
            lambda r: r[engine]["fit_seconds_median"] <= fit_limit,
        ),
        Target(
            f"predict 24 h with explanations ({engine})",
            "<= 10 ms",
            lambda r: f"{r[engine]['predict_24h_plus_24_sentences_ms_median']:.1f} ms",
            lambda r: r[engine]["predict_24h_plus_24_sentences_ms_median"] <= 10,
        ),
        Target(
            f"peak fit memory ({engine})",
            "<= 150 MB",
            lambda r: f"{r[engine]['peak_fit_memory_mb_tracemalloc']:.0f} MB",
            lambda r: r[engine]["peak_fit_memory_mb_tracemalloc"] <= 150,
        ),
    )


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "history",
        ("bench.history",),
        (
            Target(
                "read + clean 2 years x 10 entities",
                "<= 1.0 s",
                lambda r: f"{r['wall_seconds_median']:.2f} s",
                lambda r: r["wall_seconds_median"] <= 1.0,
            ),
            Target(
                "event-loop lag while reading",
                "<= 20 ms",
                lambda r: f"{r['loop_lag_max_ms']:.1f} ms",
                lambda r: r["loop_lag_max_ms"] <= 20,
            ),
        ),
    ),
    Benchmark(
        "forecast-speed",
        ("bench.forecast", "--speed"),
        (*_speed("sklearn", 1.0), *_speed("numpy", 0.3)),
    ),
    _forecast("sklearn", 0.12),
    _forecast("numpy", 0.08),
    Benchmark(
        "anomaly-household",
        ("bench.anomaly_data", "--only", "household", "--json"),
        (
            Target(
                "anomaly events detected, household",
                ">= 90 %",
                lambda r: f"{r['recall']:.0%} ({r['detected']}/{r['events']})",
                lambda r: r["recall"] >= 0.9,
            ),
            Target(
                "false alarms, household",
                "<= 0.5 / week",
                lambda r: f"{r['false_alarms_per_week']:.2f} / week",
                lambda r: r["false_alarms_per_week"] <= 0.5,
            ),
        ),
        case="household",
    ),
    Benchmark(
        "anomaly-timing",
        ("bench.anomaly_data", "--timing", "--json"),
        (
            Target(
                "anomaly fit, 2 years hourly",
                "<= 1 s",
                lambda r: f"{r['fit_seconds_best']:.2f} s",
                lambda r: r["fit_seconds_best"] <= 1.0,
            ),
            Target(
                "anomaly score one hour",
                "<= 5 ms",
                lambda r: f"{r['score_ms_per_hour']:.2f} ms",
                lambda r: r["score_ms_per_hour"] <= 5.0,
            ),
        ),
    ),
    Benchmark(
        "anomaly-sensor-home",
        ("bench.sensor_home", "--pace", "readings", "--json"),
        (
            Target(
                "sensor faults caught, a year of real voltage readings as Home Assistant judges",
                "-",
                lambda r: (
                    f"{r['readings']['detected']}/{r['readings']['events']}, "
                    f"{r['readings']['false_alarms_per_week']:.2f} false alarms / week"
                ),
            ),
        ),
    ),
    Benchmark(
        "threshold-frost",
        ("bench.threshold_data", "--only", "frost"),
        (
            Target(
                "frosts warned within 12 h (real hourly temperature)",
                "-",
                lambda r: (
                    f"{r['scores']['warned']}/{r['scores']['crossings']}, median "
                    f"{r['scores']['median_lead_hours']} h ahead, "
                    f"{r['scores']['false_warning_episodes']} false warnings"
                ),
            ),
        ),
        case="frost",
    ),
    Benchmark(
        "entries",
        ("bench.entries",),
        (
            Target(
                "train 20 entries x 2 years",
                "<= 60 s",
                lambda r: (
                    f"{r['cold_start_train_all_seconds']:.1f} s, "
                    f"{r['entries_serving_the_model']}/{r['entries']} serve the model"
                ),
                # Entries that fell back to a baseline skip most fits: no figure for the target.
                lambda r: (
                    r["cold_start_train_all_seconds"] <= 60
                    and r["entries_serving_the_model"] == r["entries"]
                ),
            ),
            Target(
                "memory added by 20 trained entries",
                "<= 300 MB",
                lambda r: f"{r['added_rss_after_training_mib']:.0f} MiB",
                lambda r: r["added_rss_after_training_mib"] <= 300,
            ),
            Target(
                "warm start, loop time per entry",
                "<= 50 ms",
                lambda r: f"{r['warm_start_loop_ms_per_entry']:.1f} ms",
                lambda r: r["warm_start_loop_ms_per_entry"] <= 50,
            ),
            Target(
                "event-loop lag, max (cold / warm)",
                "<= 20 ms",
                lambda r: (
                    f"{r['cold_start_loop_lag_max_ms']:.1f} / "
                    f"{r['warm_start_loop_lag_max_ms']:.1f} ms"
                ),
                lambda r: (
                    max(r["cold_start_loop_lag_max_ms"], r["warm_start_loop_lag_max_ms"]) <= 20
                ),
            ),
            Target(
                # A bare asyncio loop in another process, late too, is the machine (steal time).
                "same, while a bare loop in another process was on time",
                "<= 20 ms",
                lambda r: (
                    f"{r['cold_start_loop_lag_max_ms_while_bare_loop_on_time']:.1f} / "
                    f"{r['warm_start_loop_lag_max_ms_while_bare_loop_on_time']:.1f} ms"
                ),
                lambda r: (
                    max(
                        r["cold_start_loop_lag_max_ms_while_bare_loop_on_time"],
                        r["warm_start_loop_lag_max_ms_while_bare_loop_on_time"],
                    )
                    <= 20
                ),
            ),
        ),
    ),
)


def json_documents(text: str) -> list[Json]:
    """Every JSON object that starts a line of ``text``, in order."""
    decoder = json.JSONDecoder()
    found: list[Json] = []
    position = 0
    while (start := text.find("{", position)) != -1:
        if start and text[start - 1] != "\n":
            position = start + 1
            continue
        try:
            document, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            position = start + 1
            continue
        if isinstance(document, dict):
            found.append(document)
        position = end
    return found


def pick(documents: list[Json], case: str | None) -> Json:
    """The document a benchmark's targets read.

    Raises:
        ValueError: The output has no such document.
    """
    for document in reversed(documents):
        if case is None or document.get("case") == case:
            return document
    msg = f"no JSON result{f' for case {case!r}' if case else ''} in the output"
    raise ValueError(msg)


def rows(benchmark: Benchmark, result: Json) -> list[tuple[str, str, str, str]]:
    """The table rows of one benchmark's result: measure, target, measured, verdict."""
    table = []
    for target in benchmark.targets:
        try:
            value = target.value(result)
            verdict = "-" if target.met is None else ("met" if target.met(result) else "MISSED")
        except (KeyError, TypeError) as err:
            value, verdict = f"unreadable ({err!r})", "ERROR"
        table.append((target.measure, target.target, value, verdict))
    return table


def run(benchmark: Benchmark) -> tuple[list[tuple[str, str, str, str]], float]:
    """Run one benchmark; its rows and how long it took."""
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own benchmark modules
        [sys.executable, "-m", *benchmark.arguments],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    seconds = time.perf_counter() - started
    try:
        if done.returncode:
            msg = f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"
            raise ValueError(msg)
        return rows(benchmark, pick(json_documents(done.stdout), benchmark.case)), seconds
    except ValueError as err:
        return [
            (target.measure, target.target, str(err), "ERROR") for target in benchmark.targets
        ], (seconds)


def table_text(lines: Sequence[tuple[str, ...]], *, markdown: bool) -> str:
    """The rows as aligned text or as a Markdown table."""
    header = ("benchmark", "measure", "target", "measured", "verdict")
    if markdown:
        body = [header, tuple("---" for _ in header), *lines]
        return "\n".join("| " + " | ".join(line) + " |" for line in body)
    widths = [max(len(line[i]) for line in (header, *lines)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in (header, *lines)
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks one after the other and print the table; exit 1 on an error."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="run the benchmarks whose name contains this")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    lines: list[tuple[str, ...]] = []
    for benchmark in BENCHMARKS:
        if args.only and args.only not in benchmark.name:
            continue
        print(f"running {' '.join(benchmark.arguments)} ...", file=sys.stderr, flush=True)
        results, seconds = run(benchmark)
        print(f"  done in {seconds:.0f} s", file=sys.stderr, flush=True)
        lines.extend((benchmark.name, *row) for row in results)
    print(table_text(lines, markdown=args.markdown))
    return 1 if any(line[-1] == "ERROR" for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
