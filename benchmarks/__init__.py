"""Benchmarks: scripts that print tables (``python -m benchmarks.run --quick``), not tests."""
