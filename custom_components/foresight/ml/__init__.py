"""Foresight's models: pure Python, NumPy and pandas, with no Home Assistant imports.

Everything here takes and returns arrays, frames and dataclasses so that it can be tested with
plain pytest, benchmarked from ``bench/`` and reasoned about without a running Home Assistant.
"""
