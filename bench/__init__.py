"""Benchmarks of the booking engine: free-slot search and booking under contention.

Run with `python -m bench.run --backend both`; results go to docs/benchmarks.md.
Not part of the test suite.
"""
