"""Times MLflow's own FileStore on an mlruns tree: the peer side of bench/file_store_bench.ts.

Usage: python bench/mlflow_file_store.py <root> <experiment_id> <run_id> <filter> <order_by>
Prints one JSON object: median milliseconds per operation and the ids it found.
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")
from mlflow.entities import ViewType  # noqa: E402
from mlflow.store.tracking.file_store import FileStore  # noqa: E402

from _timing import timed  # noqa: E402


def main():
    root, exp_id, run_id, flt, order = sys.argv[1:6]
    store = FileStore(root)

    def first_page():
        return store.search_runs([exp_id], flt, ViewType.ACTIVE_ONLY, 100, [order], None)

    def walk():
        ids, token = [], None
        while True:
            page = store.search_runs([exp_id], flt, ViewType.ACTIVE_ONLY, 100, [order], token)
            ids += [r.info.run_id for r in page]
            token = page.token
            if not token:
                return ids

    out = {}
    out["search_first_ms"], page = timed(first_page, 1)
    out["search_warm_ms"], page = timed(first_page, 2)
    out["first_page_ids"] = [r.info.run_id for r in page]
    out["walk_ms"], ids = timed(walk, 1)
    out["walk_count"] = len(ids)
    out["get_run_ms"], _ = timed(lambda: store.get_run(run_id), 20)
    out["history_ms"], hist = timed(lambda: store.get_metric_history(run_id, "acc"), 20)
    out["history_points"] = len(hist)
    print(json.dumps(out))


main()
