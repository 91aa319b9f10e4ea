"""Flows of the real Python mlflow client against a running `mlt server`.

Usage: python server_flows.py <tracking-url> <workdir> [flow ...]
Prints one JSON object {flow: "ok" | "<traceback>"}; server_compat_test.ts asserts each is "ok".
Each flow uses its own experiment, so flows are independent. Without flow names every flow of
FLOWS runs; the AUTH_FLOWS run only by name, against a server started with `--auth basic`.
"""

import json
import math
import os
import sys
import tempfile
import time
import traceback
import uuid

import mlflow
import requests
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException

URL = sys.argv[1]
WORK = sys.argv[2]
mlflow.set_tracking_uri(URL)
client = MlflowClient(URL)
# Raw HTTP calls sign in as the client does (MLFLOW_TRACKING_TOKEN, else username and password).
http = requests.Session()
if os.environ.get("MLFLOW_TRACKING_TOKEN"):
    http.headers["Authorization"] = "Bearer " + os.environ["MLFLOW_TRACKING_TOKEN"]
elif os.environ.get("MLFLOW_TRACKING_USERNAME"):
    http.auth = (os.environ["MLFLOW_TRACKING_USERNAME"], os.environ.get("MLFLOW_TRACKING_PASSWORD", ""))
FLOWS = {}
AUTH_FLOWS = {}


def flow(fn):
    FLOWS[fn.__name__] = fn
    return fn


def auth_flow(fn):
    AUTH_FLOWS[fn.__name__] = fn
    return fn


def new_experiment(prefix):
    return client.create_experiment(f"{prefix}-{uuid.uuid4().hex[:8]}")


def error_code(fn):
    try:
        fn()
    except MlflowException as e:
        return e.error_code
    raise AssertionError("expected an MlflowException")


@flow
def experiments():
    name = f"exp-{uuid.uuid4().hex[:8]}"
    eid = client.create_experiment(name, tags={"team": "a", "k2": "v2"})
    exp = client.get_experiment(eid)
    assert exp.name == name and exp.tags["team"] == "a", exp
    assert exp.artifact_location == f"mlflow-artifacts:/{eid}", exp.artifact_location
    assert client.get_experiment_by_name(name).experiment_id == eid
    assert client.get_experiment_by_name("no-such-" + name) is None
    client.set_experiment_tag(eid, "team", "b")
    client.delete_experiment_tag(eid, "k2")
    exp = client.get_experiment(eid)
    assert exp.tags == {"team": "b"}, exp.tags
    client.rename_experiment(eid, name + "-renamed")
    assert client.get_experiment(eid).name == name + "-renamed"
    assert error_code(lambda: client.create_experiment(name + "-renamed")) == (
        "RESOURCE_ALREADY_EXISTS"
    )
    found = client.search_experiments(filter_string=f"name = '{name}-renamed'")
    assert [e.experiment_id for e in found] == [eid], found
    client.delete_experiment(eid)
    assert client.get_experiment(eid).lifecycle_stage == "deleted"
    deleted = client.search_experiments(view_type=ViewType.DELETED_ONLY)
    assert eid in [e.experiment_id for e in deleted]
    client.restore_experiment(eid)
    assert client.get_experiment(eid).lifecycle_stage == "active"
    assert error_code(lambda: client.get_experiment("123456789")) == "RESOURCE_DOES_NOT_EXIST"


@flow
def experiment_paging():
    prefix = f"page-{uuid.uuid4().hex[:6]}"
    ids = {client.create_experiment(f"{prefix}-{i}") for i in range(5)}
    seen, token, pages = [], None, 0
    while True:
        page = client.search_experiments(
            max_results=2, filter_string=f"name LIKE '{prefix}-%'", page_token=token,
            order_by=["name ASC"],
        )
        seen += [e.experiment_id for e in page]
        pages += 1
        token = page.token
        if not token:
            break
    assert set(seen) == ids and len(seen) == 5 and pages == 3, (seen, pages)


@flow
def fluent_run():
    eid = new_experiment("fluent")
    mlflow.set_experiment(experiment_id=eid)
    with mlflow.start_run(run_name="fluent-run") as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_params({"beta": "x", "gamma": 3})
        mlflow.log_metric("loss", 1.5, step=0)
        mlflow.log_metric("loss", 0.5, step=1)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.8})
        mlflow.set_tag("stage", "dev")
        mlflow.set_tags({"owner": "me"})
        with mlflow.start_run(nested=True) as child:
            mlflow.log_metric("inner", 1)
    r = client.get_run(run.info.run_id)
    assert r.info.status == "FINISHED" and r.info.end_time, r.info
    assert r.info.run_name == "fluent-run"
    assert r.data.params == {"alpha": "0.5", "beta": "x", "gamma": "3"}, r.data.params
    assert r.data.metrics == {"loss": 0.5, "acc": 0.9, "f1": 0.8}, r.data.metrics
    assert r.data.tags["stage"] == "dev" and r.data.tags["owner"] == "me"
    assert r.data.tags["mlflow.source.type"] == "LOCAL"
    c = client.get_run(child.info.run_id)
    assert c.data.tags["mlflow.parentRunId"] == run.info.run_id
    hist = client.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in hist] == [(0, 1.5), (1, 0.5)], hist


@flow
def special_values():
    eid = new_experiment("special")
    run = client.create_run(eid)
    rid = run.info.run_id
    client.log_metric(rid, "nan", float("nan"), timestamp=1, step=0)
    client.log_metric(rid, "pinf", float("inf"), timestamp=2, step=-3)
    client.log_batch(rid, metrics=[Metric("ninf", float("-inf"), 3, 2**40)])
    m = client.get_run(rid).data.metrics
    assert math.isnan(m["nan"]) and m["pinf"] == math.inf and m["ninf"] == -math.inf, m
    hist = client.get_metric_history(rid, "pinf")
    assert hist[0].step == -3 and hist[0].timestamp == 2
    assert client.get_metric_history(rid, "ninf")[0].step == 2**40
    client.log_param(rid, "p", "")
    assert client.get_run(rid).data.params["p"] == ""
    client.set_tag(rid, "unicode", "héllo ✓ 日本")
    assert client.get_run(rid).data.tags["unicode"] == "héllo ✓ 日本"


@flow
def batch_and_history():
    eid = new_experiment("batch")
    rid = client.create_run(eid).info.run_id
    metrics = [Metric("m", float(i), 1000 + i, i) for i in range(1000)]
    params = [Param(f"p{i}", "v" * 6000) for i in range(100)]
    tags = [RunTag(f"t{i}", "w" * 8000) for i in range(100)]
    client.log_batch(rid, metrics=metrics[:800], params=params, tags=tags)
    client.log_batch(rid, metrics=metrics[800:])
    for chunk in range(26):
        client.log_batch(
            rid, metrics=[Metric("long", float(i), i, i) for i in range(chunk * 1000, chunk * 1000 + 1000)]
        )
    r = client.get_run(rid)
    assert len(r.data.params) == 100 and r.data.params["p7"] == "v" * 6000
    assert r.data.tags["t5"] == "w" * 8000
    assert len(client.get_metric_history(rid, "m")) == 1000
    hist = client.get_metric_history(rid, "long")  # the client pages by 25000
    assert len(hist) == 26000 and hist[-1].step == 25999, len(hist)
    assert error_code(lambda: client.log_param(rid, "p1", "other")) == "INVALID_PARAMETER_VALUE"
    # The client splits big batches itself, so an oversized one has to be sent by hand.
    too_many = [{"key": f"q{i}", "value": "v"} for i in range(101)]
    r = http.post(f"{URL}/api/2.0/mlflow/runs/log-batch", json={"run_id": rid, "params": too_many})
    assert r.status_code == 400 and "at most 100 params" in r.json()["message"], r.text
    assert "q0" not in client.get_run(rid).data.params


@flow
def search_runs():
    eid = new_experiment("search")
    ids = []
    for i in range(7):
        with mlflow.start_run(experiment_id=eid, run_name=f"r{i}") as run:
            mlflow.log_metric("score", i / 10)
            mlflow.log_param("parity", "even" if i % 2 == 0 else "odd")
        ids.append(run.info.run_id)
    hits = client.search_runs([eid], "metrics.score > 0.25 and params.parity = 'even'",
                              order_by=["metrics.score DESC"])
    assert [r.info.run_id for r in hits] == [ids[6], ids[4]], [r.info.run_name for r in hits]
    seen, token = [], None
    while True:
        page = client.search_runs([eid], max_results=3, page_token=token,
                                  order_by=["attributes.run_name ASC"])
        seen += [r.info.run_name for r in page]
        token = page.token
        if not token:
            break
    assert seen == [f"r{i}" for i in range(7)], seen
    df = mlflow.search_runs([eid], filter_string="tags.`mlflow.runName` = 'r3'")
    assert list(df["run_id"]) == [ids[3]]
    assert error_code(lambda: client.search_runs([eid], "params.a = 'x' OR 1=1")) == (
        "INVALID_PARAMETER_VALUE"
    )


@flow
def lifecycle():
    eid = new_experiment("life")
    rid = client.create_run(eid, tags={"a": "1"}).info.run_id
    client.set_terminated(rid, "KILLED")
    r = client.get_run(rid)
    assert r.info.status == "KILLED" and r.info.end_time
    client.delete_tag(rid, "a")
    assert "a" not in client.get_run(rid).data.tags
    assert error_code(lambda: client.delete_tag(rid, "a")) == "RESOURCE_DOES_NOT_EXIST"
    client.delete_run(rid)
    assert client.get_run(rid).info.lifecycle_stage == "deleted"
    assert client.search_runs([eid]) == []
    assert [x.info.run_id for x in client.search_runs([eid], run_view_type=ViewType.DELETED_ONLY)] == [rid]
    client.restore_run(rid)
    assert client.get_run(rid).info.lifecycle_stage == "active"
    client.update_run(rid, name="renamed")
    assert client.get_run(rid).info.run_name == "renamed"
    assert error_code(lambda: client.get_run("0" * 32)) == "RESOURCE_DOES_NOT_EXIST"


@flow
def artifacts():
    eid = new_experiment("art")
    src = tempfile.mkdtemp(dir=WORK)
    with open(os.path.join(src, "a.txt"), "w") as f:
        f.write("hello")
    os.makedirs(os.path.join(src, "dir", "sub"))
    with open(os.path.join(src, "dir", "b.json"), "w") as f:
        f.write('{"x": 1}')
    with open(os.path.join(src, "dir", "sub", "c.bin"), "wb") as f:
        f.write(bytes(range(256)) * 100)
    with mlflow.start_run(experiment_id=eid) as run:
        mlflow.log_artifact(os.path.join(src, "a.txt"))
        mlflow.log_artifacts(os.path.join(src, "dir"), artifact_path="d")
        mlflow.log_text("text body", "notes/n.txt")
        mlflow.log_dict({"k": [1, 2]}, "cfg.json")
    rid = run.info.run_id
    assert run.info.artifact_uri == f"mlflow-artifacts:/{eid}/{rid}/artifacts"
    top = {(f.path, f.is_dir) for f in client.list_artifacts(rid)}
    assert top == {("a.txt", False), ("d", True), ("notes", True), ("cfg.json", False)}, top
    sub = client.list_artifacts(rid, "d")
    assert [(f.path, f.is_dir) for f in sub] == [("d/b.json", False), ("d/sub", True)], sub
    deep = client.list_artifacts(rid, "d/sub")
    assert [(f.path, f.file_size) for f in deep] == [("d/sub/c.bin", 25600)], deep
    dst = tempfile.mkdtemp(dir=WORK)
    p = client.download_artifacts(rid, "a.txt", dst)
    assert open(p).read() == "hello"
    d = mlflow.artifacts.download_artifacts(run_id=rid, artifact_path="d", dst_path=dst)
    assert open(os.path.join(d, "sub", "c.bin"), "rb").read() == bytes(range(256)) * 100
    assert mlflow.artifacts.load_text(f"runs:/{rid}/notes/n.txt") == "text body"
    assert mlflow.artifacts.load_dict(f"runs:/{rid}/cfg.json") == {"k": [1, 2]}
    r = http.get(f"{URL}/get-artifact", params={"run_id": rid, "path": "a.txt"})
    assert r.status_code == 200 and r.text == "hello"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Disposition"].startswith("attachment")
    listing = http.get(f"{URL}/api/2.0/mlflow/artifacts/list", params={"run_id": rid}).json()
    assert listing["root_uri"] == run.info.artifact_uri


@flow
def datasets():
    import pandas as pd

    eid = new_experiment("data")
    df = pd.DataFrame({"x": [1, 2, 3], "y": [0.1, 0.2, 0.3]})
    ds = mlflow.data.from_pandas(df, name="train-set")
    with mlflow.start_run(experiment_id=eid) as run:
        mlflow.log_input(ds, context="training")
    inputs = client.get_run(run.info.run_id).inputs.dataset_inputs
    assert len(inputs) == 1, inputs
    assert inputs[0].dataset.name == "train-set" and inputs[0].dataset.digest == ds.digest
    assert {t.key: t.value for t in inputs[0].tags}["mlflow.data.context"] == "training"
    hits = client.search_runs([eid], "dataset.name = 'train-set'")
    assert [r.info.run_id for r in hits] == [run.info.run_id]


@flow
def async_logging():
    eid = new_experiment("async")
    with mlflow.start_run(experiment_id=eid) as run:
        for i in range(50):
            mlflow.log_metric("a", i, step=i, synchronous=False)
        mlflow.log_param("p", "1", synchronous=False)
        mlflow.flush_async_logging()
    r = client.get_run(run.info.run_id)
    assert r.data.metrics["a"] == 49 and r.data.params["p"] == "1", r.data
    assert len(client.get_metric_history(run.info.run_id, "a")) == 50


@flow
def raw_http_errors():
    api = f"{URL}/api/2.0/mlflow"
    r = http.post(f"{api}/experiments/create", data='{"name": "x"}',
                      headers={"Content-Type": "text/plain"})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE", r.text
    r = http.get(f"{api}/experiments/get-by-name", params={"experiment_name": "nope-nope"})
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    r = http.get(f"{api}/runs/get", params={"run_id": "../../etc"})
    assert r.status_code == 400, r.text
    r = http.get(f"{URL}/health", headers={"Host": "evil.example"})
    assert r.status_code == 200 and r.text == "OK"
    r = http.get(f"{api}/experiments/search", headers={"Host": "evil.example"})
    assert r.status_code == 403
    r = http.post(f"{api}/experiments/create", json={"name": "cors"},
                      headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = http.get(f"{URL}/api/2.0/mlflow-artifacts/artifacts/%2e%2e%2fetc%2fpasswd")
    assert r.status_code == 400 and r.json()["message"] == "Invalid path", r.text
    r = http.post(f"{api}/runs/log-batch", json={"run_id": "a" * 32, "metrics": [{"key": "k", "value": 1}]})
    assert r.status_code == 400
    assert r.json()["message"].startswith("Missing value for required parameter 'metrics[0].timestamp'")
    r = http.get(f"{api}/no-such-endpoint")
    assert r.status_code == 404 and r.json()["error_code"] == "ENDPOINT_NOT_FOUND"


@flow
def system_metrics():
    # Needs psutil (installed by .ci/run); the monitor samples every second and logs each sample.
    os.environ["MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL"] = "1"
    os.environ["MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING"] = "1"
    eid = new_experiment("sysmetrics")
    with mlflow.start_run(experiment_id=eid, log_system_metrics=True) as run:
        mlflow.log_param("p", "1")
        time.sleep(3)
    metrics = client.get_run(run.info.run_id).data.metrics
    system = {k for k in metrics if k.startswith("system/")}
    assert "system/cpu_utilization_percentage" in system, metrics
    assert "system/system_memory_usage_megabytes" in system, metrics
    hist = client.get_metric_history(run.info.run_id, "system/cpu_utilization_percentage")
    assert len(hist) >= 1 and all(m.timestamp > 0 for m in hist), hist


def _raw(method, path, **kw):
    return requests.request(method, f"{URL}{path}", **kw)  # never signed in


@auth_flow
def auth_required():
    # Without credentials every route but /health answers 401 with a Basic challenge.
    for method, path in [
        ("GET", "/version"),
        ("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0"),
        ("POST", "/api/2.0/mlflow/experiments/search"),
        ("GET", "/api/2.0/mlflow-artifacts/artifacts"),
        ("GET", "/ajax-api/2.0/mlflow/experiments/get?experiment_id=0"),
        ("GET", "/"),
    ]:
        r = _raw(method, path, json={} if method == "POST" else None)
        assert r.status_code == 401, (path, r.status_code, r.text)
        assert r.headers["WWW-Authenticate"] == 'Basic realm="mlt"', r.headers
        assert r.json()["error_code"] == "UNAUTHENTICATED"
    assert _raw("GET", "/health").text == "OK"
    r = _raw("GET", "/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"},
             auth=("alice", "wrong password"))
    assert r.status_code == 401, r.text
    # The client reports the 401 as an MlflowException; it does not retry it.
    anon = MlflowClient(URL)
    saved = {k: os.environ.pop(k, None) for k in ("MLFLOW_TRACKING_USERNAME",
                                                    "MLFLOW_TRACKING_PASSWORD",
                                                    "MLFLOW_TRACKING_TOKEN")}
    try:
        assert error_code(lambda: anon.get_experiment("0")) == "UNAUTHENTICATED"
    finally:
        for k, v in saved.items():
            if v is not None:
                os.environ[k] = v


@auth_flow
def auth_readonly():
    # Run with the credentials of a read-only user: reads work, writes are 403.
    exps = client.search_experiments()
    assert any(e.experiment_id == "0" for e in exps), exps
    client.search_runs(["0"])
    assert error_code(lambda: client.create_experiment("ro-" + uuid.uuid4().hex)) == (
        "PERMISSION_DENIED"
    )
    r = _raw("PUT", "/api/2.0/mlflow-artifacts/artifacts/0/x.txt", data=b"x",
             auth=(os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"]))
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED", r.text


def main():
    names = sys.argv[3:] or list(FLOWS)
    results = {}
    for name in names:
        try:
            (FLOWS.get(name) or AUTH_FLOWS[name])()
            results[name] = "ok"
        except Exception:
            results[name] = traceback.format_exc()
    print("MLT_RESULTS " + json.dumps(results), flush=True)


if __name__ == "__main__":
    main()
