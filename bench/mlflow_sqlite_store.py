"""Times MLflow's own SqlAlchemyStore on the database bench/sqlite_bench.ts built with mlt.

Usage: python bench/mlflow_sqlite_store.py <db path> <experiment_id> <history run id>
                                           <small history run id> <filter> <order_by> <points>
Times search_runs (filter + order, first page of 1000) and get_metric_history of the 1M-point
run on that file, then log_batch of <points> points (1,000 per batch) into a new run of a copy.
Prints one JSON object.
"""

import json
import os
import random
import shutil
import sys
import tempfile
import time
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from mlflow.entities import Metric, ViewType  # noqa: E402
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore  # noqa: E402

from _timing import timed  # noqa: E402


def main():
    path, exp_id, big_run, _small_run, flt, order, points = sys.argv[1:8]
    points = int(points)
    tmp = tempfile.mkdtemp(prefix="mlflow-sqlite-bench-")
    try:
        copy = os.path.join(tmp, "copy.db")
        shutil.copyfile(path, copy)
        store = SqlAlchemyStore(f"sqlite:///{copy}", os.path.join(tmp, "artifacts"))
        search = lambda: store.search_runs(  # noqa: E731
            [exp_id], flt, ViewType.ACTIVE_ONLY, max_results=1000, order_by=[order]
        )
        search()
        search_ms, found = timed(search, 5)
        history_ms, hist = timed(lambda: store.get_metric_history(big_run, "loss"), 3)

        run = store.create_run(exp_id, "bench", 0, [], "peer")
        rid = run.info.run_id
        rnd = random.Random(7)
        t = time.perf_counter()
        for b in range(points // 1000):
            metrics = [
                Metric(f"m{k}", rnd.random(), 1_700_000_000_000 + b * 100 + s, b * 100 + s)
                for k in range(10)
                for s in range(100)
            ]
            store.log_batch(rid, metrics, [], [])
        insert_s = time.perf_counter() - t
        print(
            json.dumps(
                {
                    "search_ms": search_ms,
                    "search_found": len(found),
                    "history_ms": history_ms,
                    "history_points": len(hist),
                    "insert_points_per_s": (points // 1000) * 1000 / insert_s,
                }
            )
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
