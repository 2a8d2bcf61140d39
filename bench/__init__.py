"""Benchmarks: each module runs as ``python -m bench.<name>`` (see docs/BENCHMARKS.md)."""
