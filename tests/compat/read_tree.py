"""Print, as JSON, everything the real MLflow client reads from a file-store tracking tree.

Usage: python read_tree.py [--models] <tracking dir or file:// URI> [output.json]

The JSON has the shape of tests/fixtures/mlruns-*.expected.json:

  {"mlflow_version": ..., "experiments": [...], "runs": [...], "search": {...}}

Floats are JSON numbers, except NaN, +inf and -inf, written as the strings "NaN", "Infinity"
and "-Infinity". Dict-valued fields (params, tags) have sorted keys; lists of experiments and
runs are sorted by id; metric histories keep the order MLflow returns (the file's line order).

With --models (MLflow 3): also "logged_models" (every model, deleted ones with "deleted": true,
sorted by id; tags and params as dicts; metric points sorted by key, timestamp, step) and each
run's "model_inputs" (model ids) and "model_outputs" ({model_id, step}), both sorted.

Works with MLflow 1.x (list_experiments) and 2.x/3.x (search_experiments). MLflow 3.13+ needs
MLFLOW_ALLOW_FILE_STORE=true in the environment to open a file store; this script sets it.
"""

import json
import math
import os
import sys

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

import mlflow  # noqa: E402
from mlflow.entities import ViewType  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402


def encode_float(v):
    """A metric value as JSON: a number, or "NaN" / "Infinity" / "-Infinity"."""
    if v is None:
        return None
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def _id_key(i):
    return (len(str(i)), str(i))


def _all_experiments(client, view_type):
    if hasattr(client, "search_experiments"):
        out, token = [], None
        while True:
            page = client.search_experiments(view_type=view_type, max_results=1000, page_token=token)
            out.extend(page)
            token = page.token
            if not token:
                return out
    return list(client.list_experiments(view_type=view_type))


def _all_runs(client, experiment_ids, view_type):
    out, token = [], None
    while True:
        page = client.search_runs(
            experiment_ids, run_view_type=view_type, max_results=1000, page_token=token
        )
        out.extend(page)
        token = page.token
        if not token:
            return out


def _metric_point(m):
    p = {"value": encode_float(m.value), "timestamp": m.timestamp, "step": m.step}
    # MLflow >= 2.x: a metric may carry the dataset it was computed on (5-field lines).
    if getattr(m, "dataset_name", None) is not None:
        p["dataset_name"] = m.dataset_name
    if getattr(m, "dataset_digest", None) is not None:
        p["dataset_digest"] = m.dataset_digest
    return p


def _dataset_inputs(run):
    inputs = getattr(run, "inputs", None)
    if inputs is None:
        return []
    out = []
    for di in inputs.dataset_inputs:
        d = di.dataset
        out.append(
            {
                "tags": {t.key: t.value for t in sorted(di.tags, key=lambda t: t.key)},
                "dataset": {
                    "name": d.name,
                    "digest": d.digest,
                    "source_type": d.source_type,
                    "source": d.source,
                    "schema": d.schema,
                    "profile": d.profile,
                },
            }
        )
    out.sort(key=lambda x: (x["dataset"]["name"], x["dataset"]["digest"]))
    return out


def read_run(client, run_id, models=False):
    run = client.get_run(run_id)
    info, data = run.info, run.data
    metrics_objs = getattr(data, "_metric_objs", None)
    if metrics_objs is None:  # very old clients: only key -> value
        latest = {k: {"value": encode_float(v)} for k, v in data.metrics.items()}
    else:
        latest = {m.key: _metric_point(m) for m in metrics_objs}
    history = {}
    for key in sorted(latest):
        history[key] = [_metric_point(m) for m in client.get_metric_history(run_id, key)]
    return {
        "run_id": info.run_id,
        "experiment_id": str(info.experiment_id),
        "run_name": getattr(info, "run_name", None),
        "user_id": info.user_id,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "artifact_uri": info.artifact_uri,
        "lifecycle_stage": info.lifecycle_stage,
        "params": dict(sorted(data.params.items())),
        "tags": dict(sorted(data.tags.items())),
        "metrics": dict(sorted(latest.items())),
        "metric_history": history,
        "dataset_inputs": _dataset_inputs(run),
        **(_model_links(run) if models else {}),
    }


def _model_links(run):
    return {
        "model_inputs": sorted(i.model_id for i in run.inputs.model_inputs),
        "model_outputs": sorted(
            ({"model_id": o.model_id, "step": o.step} for o in run.outputs.model_outputs),
            key=lambda o: o["model_id"],
        ),
    }


def _model_point(m):
    p = _metric_point(m)
    p["key"] = m.key
    p["run_id"] = m.run_id
    return p


def read_models(client, exp_ids):
    """Every logged model of the experiments, deleted ones included (through the store)."""
    store = client._tracking_client.store
    found = {}
    token = None
    while exp_ids:
        page = client.search_logged_models(exp_ids, max_results=100, page_token=token)
        for m in page:
            found[m.model_id] = (m, False)
        token = page.token
        if not token:
            break
    for model_id in store._get_deleted_logged_models():
        found[model_id] = (store.get_logged_model(model_id, allow_deleted=True), True)
    out = []
    for model_id in sorted(found):
        m, deleted = found[model_id]
        points = [_model_point(p) for p in m.metrics or []]
        out.append(
            {
                "model_id": m.model_id,
                "experiment_id": str(m.experiment_id),
                "name": m.name,
                "artifact_location": m.artifact_location,
                "creation_timestamp": m.creation_timestamp,
                "last_updated_timestamp": m.last_updated_timestamp,
                "status": str(m.status),
                "status_message": m.status_message,
                "model_type": m.model_type,
                "source_run_id": m.source_run_id,
                "deleted": deleted,
                "tags": dict(sorted(m.tags.items())),
                "params": dict(sorted(m.params.items())),
                "metrics": sorted(points, key=lambda p: (p["key"], p["timestamp"], p["step"])),
            }
        )
    return out


def read_tree(tracking_uri, models=False):
    """Everything MlflowClient reads from the tree at tracking_uri, as a JSON-able dict."""
    client = MlflowClient(tracking_uri)
    experiments = sorted(_all_experiments(client, ViewType.ALL), key=lambda e: _id_key(e.experiment_id))
    exp_ids = [str(e.experiment_id) for e in experiments]
    runs = _all_runs(client, exp_ids, ViewType.ALL) if exp_ids else []
    run_ids = sorted(r.info.run_id for r in runs)

    def ids(view_type):
        return sorted((str(e.experiment_id) for e in _all_experiments(client, view_type)), key=_id_key)

    def run_ids_of(view_type):
        return sorted(r.info.run_id for r in _all_runs(client, exp_ids, view_type)) if exp_ids else []

    return {
        "mlflow_version": mlflow.__version__,
        "experiments": [
            {
                "experiment_id": str(e.experiment_id),
                "name": e.name,
                "artifact_location": e.artifact_location,
                "lifecycle_stage": e.lifecycle_stage,
                "creation_time": getattr(e, "creation_time", None),
                "last_update_time": getattr(e, "last_update_time", None),
                "tags": dict(sorted(e.tags.items())),
            }
            for e in experiments
        ],
        "runs": [read_run(client, rid, models) for rid in run_ids],
        "search": {
            "active_experiment_ids": ids(ViewType.ACTIVE_ONLY),
            "deleted_experiment_ids": ids(ViewType.DELETED_ONLY),
            "active_run_ids": run_ids_of(ViewType.ACTIVE_ONLY),
            "deleted_run_ids": run_ids_of(ViewType.DELETED_ONLY),
        },
        **({"logged_models": read_models(client, exp_ids)} if models else {}),
    }


def to_uri(path_or_uri):
    if "://" in path_or_uri:
        return path_or_uri
    return "file://" + os.path.abspath(path_or_uri)


def dump(obj):
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def main(argv):
    models = "--models" in argv
    argv = [a for a in argv if a != "--models"]
    if len(argv) not in (2, 3):
        sys.stderr.write("usage: read_tree.py [--models] <tracking dir or file:// URI> [output.json]\n")
        return 2
    text = dump(read_tree(to_uri(argv[1]), models))
    if len(argv) == 3:
        with open(argv[2], "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
