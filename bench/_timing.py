"""What the Python peers of the store benchmarks share (bench/mlflow_file_store.py,
bench/mlflow_sqlite_store.py); importable from them as the script's folder is on sys.path."""

import statistics
import time


def timed(fn, repeat):
    """Calls fn `repeat` times; returns the median milliseconds per call and the last result."""
    samples, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), result
