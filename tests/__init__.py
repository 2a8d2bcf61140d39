"""Tests for Foresight."""
