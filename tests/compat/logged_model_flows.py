"""MLflow 3 logged-model flows of the real Python mlflow client (sklearn autolog, log_model and
load_model, search, metrics on a model, tags, deletion, errors).

Usage:
  python logged_model_flows.py server <tracking-url> [flow ...]   against a running server
  python logged_model_flows.py project                           inside `mlt run` (MLFLOW_RUN_ID)
Prints `MLT_RESULTS {flow: "ok" | "<traceback>"}` and `MLT_AUTOLOG {metrics, artifacts,
model_artifacts}` (what autolog logged, for comparison with `mlflow server`).
"""

import json
import os
import sys
import traceback
import uuid

import mlflow
import numpy as np
from mlflow import MlflowClient
from mlflow.entities import LoggedModelInput, LoggedModelStatus
from mlflow.exceptions import MlflowException
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

MODE = sys.argv[1]
if MODE == "server":
    mlflow.set_tracking_uri(sys.argv[2])
client = MlflowClient()
X, Y = load_iris(return_X_y=True)
FLOWS = {}
REPORT = {}


def flow(fn):
    FLOWS[fn.__name__] = fn
    return fn


def new_experiment(prefix):
    return mlflow.set_experiment(f"{prefix}-{uuid.uuid4().hex[:8]}").experiment_id


def error_code(fn):
    try:
        fn()
    except MlflowException as e:
        return e.error_code
    raise AssertionError("expected an MlflowException")


def walk(list_fn, path=None):
    out = []
    for f in list_fn(path):
        out += walk(list_fn, f.path) if f.is_dir else [f.path]
    return sorted(out)


def autolog_in_run(run_id):
    """What sklearn autolog logged in the run: metric keys, run and model artifact paths."""
    run = client.get_run(run_id)
    [output] = run.outputs.model_outputs
    model = client.get_logged_model(output.model_id)
    assert model.status == LoggedModelStatus.READY, model.status
    assert model.source_run_id == run_id
    # Under `mlt run`, the runner's system/ metrics are in the run too (and log_model copies the
    # run's metrics onto the model); they are not autolog's.
    metrics = sorted(k for k in run.data.metrics if not k.startswith("system/"))
    assert {m.key for m in model.metrics if not m.key.startswith("system/")} == set(metrics), \
        model.metrics
    return {
        "metrics": metrics,
        "artifacts": walk(lambda p: client.list_artifacts(run_id, p)),
        "model_artifacts": walk(lambda p: client.list_logged_model_artifacts(model.model_id, p)),
    }


@flow
def autolog():
    new_experiment("autolog")
    mlflow.sklearn.autolog()
    try:
        with mlflow.start_run() as run:
            LogisticRegression(max_iter=200).fit(X, Y)
    finally:
        mlflow.sklearn.autolog(disable=True)
    REPORT["autolog"] = autolog_in_run(run.info.run_id)


@flow
def log_and_load():
    new_experiment("load")
    clf = LogisticRegression(max_iter=200).fit(X, Y)
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(clf, name="model", params={"C": "1.0"})
    assert info.model_uri == f"models:/{info.model_id}", info.model_uri
    expected = clf.predict(X[:5])
    for uri in (f"runs:/{run.info.run_id}/model", info.model_uri):
        got = mlflow.pyfunc.load_model(uri).predict(X[:5])
        assert np.array_equal(got, expected), (uri, got, expected)
    model = mlflow.get_logged_model(info.model_id)
    assert model.params == {"C": "1.0"}, model.params
    assert model.source_run_id == run.info.run_id


@flow
def search():
    exp = new_experiment("search")
    ids = {}
    with mlflow.start_run() as run:
        for name, lr, acc in [("a", "0.1", 0.7), ("b", "0.1", 0.9), ("c", "0.2", 0.8)]:
            m = mlflow.initialize_logged_model(name=name, params={"lr": lr}, tags={"k": name})
            mlflow.log_metric("acc", acc, model_id=m.model_id)
            ids[name] = m.model_id
    order = [{"field_name": "metrics.acc", "ascending": False}]
    found = mlflow.search_logged_models(
        experiment_ids=[exp], filter_string="params.lr = '0.1' AND metrics.acc > 0.5",
        order_by=order, output_format="list")
    assert [m.name for m in found] == ["b", "a"], [m.name for m in found]
    names = []
    token = None
    while True:
        page = client.search_logged_models([exp], order_by=[{"field_name": "name"}],
                                           max_results=1, page_token=token)
        names += [m.name for m in page]
        token = page.token
        if not token:
            break
    assert names == ["a", "b", "c"], names
    df = mlflow.search_logged_models(experiment_ids=[exp], filter_string="tags.k LIKE 'c%'")
    assert list(df["name"]) == ["c"], df
    assert error_code(lambda: client.search_logged_models([exp], filter_string="metrics.acc >> 1")) \
        == "INVALID_PARAMETER_VALUE"
    assert len(client.get_run(run.info.run_id).data.metrics) == 1


@flow
def model_metrics():
    new_experiment("metrics")
    with mlflow.start_run() as run:
        m = mlflow.initialize_logged_model(name="m")
        mlflow.log_metric("rmse", 0.25, step=3, model_id=m.model_id)
        mlflow.log_metrics({"mae": 0.5}, model_id=m.model_id, dataset=None)
    got = {x.key: x for x in client.get_logged_model(m.model_id).metrics}
    assert set(got) == {"rmse", "mae"}, got
    assert got["rmse"].value == 0.25 and got["rmse"].step == 3, got["rmse"]
    assert got["rmse"].run_id == run.info.run_id
    assert client.get_run(run.info.run_id).data.metrics == {"rmse": 0.25, "mae": 0.5}


@flow
def tags_and_status():
    new_experiment("tags")
    m = mlflow.initialize_logged_model(name="t", tags={"a": "1"})
    client.set_logged_model_tags(m.model_id, {"b": "2", "a": "3"})

    def ours():
        # initialize_logged_model also sets the run context tags (mlflow.user, mlflow.source.*).
        return {k: v for k, v in client.get_logged_model(m.model_id).tags.items()
                if not k.startswith("mlflow.")}

    assert ours() == {"a": "3", "b": "2"}, ours()
    client.delete_logged_model_tag(m.model_id, "a")
    assert ours() == {"b": "2"}, ours()
    assert error_code(lambda: client.delete_logged_model_tag(m.model_id, "a")) \
        == "RESOURCE_DOES_NOT_EXIST"
    failed = mlflow.finalize_logged_model(m.model_id, LoggedModelStatus.FAILED)
    assert failed.status == LoggedModelStatus.FAILED


@flow
def delete_and_errors():
    exp = new_experiment("delete")
    keep = mlflow.initialize_logged_model(name="keep")
    gone = mlflow.initialize_logged_model(name="gone")
    client.delete_logged_model(gone.model_id)
    assert error_code(lambda: client.get_logged_model(gone.model_id)) == "RESOURCE_DOES_NOT_EXIST"
    found = client.search_logged_models([exp])
    assert [m.model_id for m in found] == [keep.model_id], found
    assert error_code(lambda: client.get_logged_model("m-" + "0" * 32)) == "RESOURCE_DOES_NOT_EXIST"
    assert error_code(lambda: client.create_logged_model(exp, name="a/b")) \
        == "INVALID_PARAMETER_VALUE"
    client.delete_experiment(exp)
    assert error_code(lambda: client.create_logged_model(exp, name="late")) \
        == "INVALID_PARAMETER_VALUE"


@flow
def run_links():
    new_experiment("links")
    m = mlflow.initialize_logged_model(name="used")
    with mlflow.start_run() as run:
        client.log_inputs(run.info.run_id, models=[LoggedModelInput(m.model_id)])
    r = client.get_run(run.info.run_id)
    assert [i.model_id for i in r.inputs.model_inputs] == [m.model_id], r.inputs
    assert r.outputs.model_outputs == [], r.outputs


def project():
    """Inside `mlt run`: autolog into the run mlt created, then a model metric and a search."""
    run_id = os.environ["MLFLOW_RUN_ID"]
    mlflow.sklearn.autolog()
    with mlflow.start_run(run_id=run_id):
        LogisticRegression(max_iter=200).fit(X, Y)
    mlflow.sklearn.autolog(disable=True)
    REPORT["autolog"] = autolog_in_run(run_id)
    with mlflow.start_run(run_id=run_id):
        m = mlflow.initialize_logged_model(name="extra", params={"p": "1"})
        mlflow.log_metric("extra_metric", 1.5, model_id=m.model_id)
        mlflow.finalize_logged_model(m.model_id, LoggedModelStatus.READY)


def main():
    results = {}
    if MODE == "project":
        try:
            project()
            results["project"] = "ok"
        except Exception:
            results["project"] = traceback.format_exc()
    else:
        for name in sys.argv[3:] or list(FLOWS):
            try:
                FLOWS[name]()
                results[name] = "ok"
            except Exception:
                results[name] = traceback.format_exc()
    print("MLT_AUTOLOG " + json.dumps(REPORT.get("autolog")), flush=True)
    print("MLT_RESULTS " + json.dumps(results), flush=True)


main()
