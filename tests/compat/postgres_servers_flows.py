"""The real Python mlflow client against three `mlt server` processes on one PostgreSQL database.

Usage: python postgres_servers_flows.py <url-a> <url-b> <url-c> <workdir>
Each entity is created through one server, written through another and read through the third.
Prints one line "MLT_RESULTS {flow: "ok" | "<traceback>"}"; postgres_servers_compat_test.ts
asserts each is "ok" and then checks the database through the REST API.
"""

import json
import math
import os
import sys
import traceback

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

A, B, C, WORK = sys.argv[1:5]
ca, cb, cc = MlflowClient(A), MlflowClient(B), MlflowClient(C)
RESULTS = {}


def flow(fn):
    try:
        fn()
        RESULTS[fn.__name__] = "ok"
    except Exception:
        RESULTS[fn.__name__] = traceback.format_exc()
    return fn


@flow
def run_across_servers():
    exp = ca.create_experiment("team-pg")
    assert cb.get_experiment_by_name("team-pg").experiment_id == exp
    run = ca.create_run(exp, run_name="shared", tags={"made-on": "a"})
    rid = run.info.run_id
    cb.log_batch(
        rid,
        metrics=[Metric("loss", 1.0 / (s + 1), 1700000000000 + s, s) for s in range(500)],
        params=[Param("lr", "0.01"), Param("layers", "3")],
        tags=[RunTag("logged-on", "b")],
    )
    cb.log_metric(rid, "odd", float("nan"), step=1)
    cb.log_metric(rid, "odd", float("inf"), step=2)
    got = cc.get_run(rid)
    assert got.data.params == {"lr": "0.01", "layers": "3"}, got.data.params
    assert got.data.tags["made-on"] == "a" and got.data.tags["logged-on"] == "b", got.data.tags
    assert got.data.metrics["loss"] == 1.0 / 500, got.data.metrics
    assert math.isinf(got.data.metrics["odd"]), got.data.metrics
    hist = cc.get_metric_history(rid, "loss")
    assert [m.step for m in hist] == list(range(500)), [m.step for m in hist][:5]
    assert [m.value for m in hist] == [1.0 / (s + 1) for s in range(500)]
    odd = sorted(cc.get_metric_history(rid, "odd"), key=lambda m: m.step)
    assert math.isnan(odd[0].value) and math.isinf(odd[1].value), odd
    cb.set_terminated(rid, "FINISHED")
    found = cc.search_runs([exp], "params.lr = '0.01' and metrics.loss < 0.01")
    assert [r.info.run_id for r in found] == [rid], found
    assert found[0].info.status == "FINISHED"


@flow
def fluent_resume_on_another_server():
    mlflow.set_tracking_uri(A)
    exp = mlflow.set_experiment("fluent-pg").experiment_id
    with mlflow.start_run(run_name="resumed") as r:
        mlflow.log_param("phase", "one")
        rid = r.info.run_id
    mlflow.set_tracking_uri(B)
    with mlflow.start_run(run_id=rid):
        mlflow.log_metric("acc", 0.5, step=0)
        mlflow.log_metric("acc", 0.9, step=1, synchronous=False)
        mlflow.log_metrics({"f1": 0.7, "auc": 0.8}, step=1)
    mlflow.flush_async_logging()
    got = cc.get_run(rid)
    assert got.info.experiment_id == exp
    assert got.info.status == "FINISHED", got.info.status
    assert got.data.params == {"phase": "one"}
    assert got.data.metrics == {"acc": 0.9, "f1": 0.7, "auc": 0.8}, got.data.metrics


@flow
def artifacts_through_any_server():
    exp = ca.create_experiment("artifacts-pg")
    rid = ca.create_run(exp).info.run_id
    src = os.path.join(WORK, "note.txt")
    with open(src, "w") as f:
        f.write("written through a, read through c\n")
    ca.log_artifact(rid, src, "docs")
    assert [f.path for f in cb.list_artifacts(rid, "docs")] == ["docs/note.txt"]
    out = cc.download_artifacts(rid, "docs/note.txt", os.path.join(WORK, "down"))
    with open(out) as f:
        assert f.read() == "written through a, read through c\n"


@flow
def registry_versions_across_servers():
    ca.create_registered_model("pg-model", tags={"t": "a"})
    exp = cb.create_experiment("registry-pg")
    rid = cb.create_run(exp).info.run_id
    made = []
    for i, c in enumerate([ca, cb, cc, ca, cb, cc]):
        made.append(c.create_model_version("pg-model", f"runs:/{rid}/model", run_id=rid).version)
    assert [int(v) for v in made] == [1, 2, 3, 4, 5, 6], made
    cb.set_registered_model_alias("pg-model", "champion", "5")
    got = cc.get_model_version_by_alias("pg-model", "champion")
    assert got.version == "5" and got.run_id == rid, got
    listed = ca.search_model_versions("name = 'pg-model'")
    assert sorted(int(v.version) for v in listed) == [1, 2, 3, 4, 5, 6]


print("MLT_RESULTS " + json.dumps(RESULTS))
