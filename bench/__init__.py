"""Benchmarks: each bench_*.py compares Spark with a floor or peers in the same run."""
