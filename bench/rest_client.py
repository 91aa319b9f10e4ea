"""The real MLflow Python client's side of bench/rest_bench.ts (workloads B1 and B5).

Usage:
  python bench/rest_client.py b1 <tracking url> <steps> <keys> <budget seconds> [<server pid>]
      One experiment, three runs: keys x steps `MlflowClient.log_metric` calls (synchronous),
      then one `log_batch` of <keys> metrics per step, then the same log_metric calls with
      synchronous=False, waited for at the end. Each phase stops early when it has used
      <budget seconds> (the per-call figure is then from the calls made). With the server's pid,
      each phase also reports the CPU time the server's whole process tree spent (psutil): the
      server's own cost per call, which the client's wall-clock time per call hides.
  python bench/rest_client.py history <tracking url> <run id> <metric key>
      `MlflowClient.get_metric_history` (pages of 25,000, parsed into Metric objects).

Times start after `import mlflow` and the client's first request. Prints one JSON object.
"""

import json
import os
import sys
import time
import uuid
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric  # noqa: E402

T0 = 1_700_000_000_000


def value(step, key):
    return ((step * 7919 + key * 104729) % 10007) / 10007


def server_cpu_seconds(pid):
    """User + system CPU seconds of a process and all its descendants (0 without a pid)."""
    if not pid:
        return 0.0
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for p in [root, *root.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def b1(url, steps, keys, budget, server_pid=0):
    client = MlflowClient(tracking_uri=url)
    exp_id = client.create_experiment(f"b1-{uuid.uuid4().hex[:8]}")
    out = {}

    def phase(name, fn):
        run_id = client.create_run(exp_id).info.run_id
        fn(run_id, 0)  # warm-up: connection, first request of the run
        calls = 0
        cpu = server_cpu_seconds(server_pid)
        t = time.perf_counter()
        deadline = t + budget
        for step in range(1, steps + 1):
            calls += fn(run_id, step)
            if time.perf_counter() > deadline:
                break
        wait = getattr(fn, "wait", None)
        if wait:
            wait()
        seconds = time.perf_counter() - t
        cpu = server_cpu_seconds(server_pid) - cpu
        out[name] = {
            "calls": calls,
            "seconds": seconds,
            "ms_per_call": seconds * 1000 / calls,
            "server_cpu_ms_per_call": cpu * 1000 / calls,
        }

    def log_metric(run_id, step):
        for k in range(keys):
            client.log_metric(run_id, f"m{k}", value(step, k), timestamp=T0 + step, step=step)
        return keys

    def log_batch(run_id, step):
        metrics = [Metric(f"m{k}", value(step, k), T0 + step, step) for k in range(keys)]
        client.log_batch(run_id, metrics=metrics)
        return 1

    pending = []

    def log_async(run_id, step):
        for k in range(keys):
            pending.append(
                client.log_metric(
                    run_id, f"m{k}", value(step, k), timestamp=T0 + step, step=step,
                    synchronous=False,
                )
            )
        return keys

    def wait_all():
        for op in pending:
            op.wait()

    log_async.wait = wait_all

    phase("log_metric", log_metric)
    phase("log_batch", log_batch)
    phase("log_metric_async", log_async)
    return out


def history(url, run_id, key):
    client = MlflowClient(tracking_uri=url)
    client.get_run(run_id)  # connection set up outside the timing
    t = time.perf_counter()
    points = client.get_metric_history(run_id, key)
    seconds = time.perf_counter() - t
    return {"points": len(points), "seconds": seconds}


def main():
    cmd = sys.argv[1]
    if cmd == "b1":
        url, steps, keys, budget = sys.argv[2:6]
        pid = int(sys.argv[6]) if len(sys.argv) > 6 else 0
        result = b1(url, int(steps), int(keys), float(budget), pid)
    elif cmd == "history":
        url, run_id, key = sys.argv[2:5]
        result = history(url, run_id, key)
    else:
        raise SystemExit(f"unknown command {cmd}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
