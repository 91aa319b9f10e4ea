"""Model registry flows of the real Python mlflow client against a running `mlt server`.

Usage: python registry_flows.py <tracking-url> <workdir> [flow ...]
Prints one line `MLT_RESULTS {flow: "ok" | "<traceback>"}`; registry_compat_test.ts asserts each
is "ok". Every flow uses model names of its own, so flows are independent.
"""

import json
import os
import sys
import tempfile
import traceback
import uuid
import warnings

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

warnings.filterwarnings("ignore")
URL = sys.argv[1]
WORK = sys.argv[2]
mlflow.set_tracking_uri(URL)
client = MlflowClient(URL)
FLOWS = {}


def flow(fn):
    FLOWS[fn.__name__] = fn
    return fn


def uid(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def code_of(fn):
    try:
        fn()
    except MlflowException as e:
        return e.error_code
    raise AssertionError("expected an MlflowException")


def run_with_model():
    """A run whose artifacts hold model/ (a pyfunc model that adds one), logged as files."""

    class AddOne(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input + 1

    path = os.path.join(tempfile.mkdtemp(dir=WORK), "model")
    mlflow.pyfunc.save_model(path=path, python_model=AddOne())
    run = client.create_run(client.create_experiment(uid("registry")))
    client.log_artifacts(run.info.run_id, path, "model")
    client.set_terminated(run.info.run_id)
    return run.info.run_id


@flow
def crud():
    name = uid("crud")
    rm = client.create_registered_model(name, tags={"team": "ml", "a/b": ""}, description="first")
    assert rm.name == name and rm.tags == {"team": "ml", "a/b": ""}, rm
    got = client.get_registered_model(name)
    assert got.description == "first" and got.latest_versions == [], got
    assert got.creation_timestamp == rm.creation_timestamp
    upd = client.update_registered_model(name, description="second")
    assert upd.description == "second" and upd.last_updated_timestamp >= rm.last_updated_timestamp
    client.set_registered_model_tag(name, "team", "ops")
    client.set_registered_model_tag(name, "extra", "1")
    client.delete_registered_model_tag(name, "a/b")
    assert client.get_registered_model(name).tags == {"team": "ops", "extra": "1"}
    client.rename_registered_model(name, name + "-new")
    assert client.get_registered_model(name + "-new").tags == {"team": "ops", "extra": "1"}
    assert code_of(lambda: client.get_registered_model(name)) == "RESOURCE_DOES_NOT_EXIST"
    client.delete_registered_model(name + "-new")
    assert code_of(lambda: client.get_registered_model(name + "-new")) == "RESOURCE_DOES_NOT_EXIST"


@flow
def errors():
    name = uid("errors")
    client.create_registered_model(name)
    assert code_of(lambda: client.create_registered_model(name)) == "RESOURCE_ALREADY_EXISTS"
    for bad in ["a/b", "a:b", ".."]:
        assert code_of(lambda: client.create_registered_model(bad)) == "INVALID_PARAMETER_VALUE"
    assert code_of(lambda: client.get_model_version(name, "7")) == "RESOURCE_DOES_NOT_EXIST"
    assert code_of(lambda: client.get_model_version(name, "x")) == "INVALID_PARAMETER_VALUE"
    missing = client.create_model_version
    assert code_of(lambda: missing(name, "/etc/passwd")) == "INVALID_PARAMETER_VALUE"
    assert code_of(lambda: missing(name + "-nope", "s3://b/x")) == "RESOURCE_DOES_NOT_EXIST"


@flow
def search():
    base = uid("search")
    for i in range(12):
        tags = {"parity": "even" if i % 2 == 0 else "odd"}
        client.create_registered_model(f"{base}-{i:02d}", tags=tags)
    like = client.search_registered_models(filter_string=f"name LIKE '{base}-%'", max_results=100)
    assert [m.name for m in like] == [f"{base}-{i:02d}" for i in range(12)]
    even = client.search_registered_models(
        filter_string=f"name LIKE '{base}%' AND tags.parity = 'even'",
        order_by=["name DESC"],
    )
    assert [m.name for m in even] == [f"{base}-{i:02d}" for i in (10, 8, 6, 4, 2, 0)]
    newest = client.search_registered_models(
        filter_string=f"name LIKE '{base}%'", order_by=["last_updated_timestamp DESC"], max_results=1
    )
    assert newest[0].name == f"{base}-11" and newest.token
    seen, token = [], None
    while True:
        page = client.search_registered_models(
            filter_string=f"name ILIKE '{base.upper()}%'", max_results=5, page_token=token
        )
        seen += [m.name for m in page]
        token = page.token
        if not token:
            break
    assert seen == [f"{base}-{i:02d}" for i in range(12)], seen
    names = [f"{base}-03", f"{base}-07"]
    listed = client.search_registered_models(filter_string=f"name IN ('{names[0]}', '{names[1]}')")
    assert [m.name for m in listed] == names


@flow
def versions_and_stages():
    name = uid("stages")
    run_id = run_with_model()
    client.create_registered_model(name)
    source = f"runs:/{run_id}/model"
    v1 = client.create_model_version(name, source, run_id=run_id, tags={"k": "v"}, description="d")
    assert (v1.version, v1.current_stage, v1.run_id, v1.tags) == ("1", "None", run_id, {"k": "v"})
    for _ in range(3):
        client.create_model_version(name, source, run_id=run_id)
    client.transition_model_version_stage(name, "1", "Production")
    client.transition_model_version_stage(name, "2", "staging")
    moved = client.transition_model_version_stage(
        name, "3", "Production", archive_existing_versions=True
    )
    assert moved.current_stage == "Production"
    assert client.get_model_version(name, "1").current_stage == "Archived"
    latest = {mv.current_stage: mv.version for mv in client.get_latest_versions(name)}
    assert latest == {"Archived": "1", "Staging": "2", "Production": "3", "None": "4"}, latest
    prod = client.get_latest_versions(name, stages=["Production"])
    assert [mv.version for mv in prod] == ["3"]
    upd = client.update_model_version(name, "4", description="newest")
    assert upd.description == "newest"
    client.set_model_version_tag(name, "4", "t", "x")
    assert client.get_model_version(name, "4").tags == {"t": "x"}
    client.delete_model_version_tag(name, "4", "t")
    assert client.get_model_version(name, "4").tags == {}
    found = client.search_model_versions(f"name = '{name}' AND version_number > 1")
    assert [mv.version for mv in found] == ["4", "3", "2"], [mv.version for mv in found]
    tagged = client.search_model_versions(f"name = '{name}' AND tags.k = 'v'")
    assert [mv.version for mv in tagged] == ["1"]
    ordered = client.search_model_versions(
        f"name = '{name}'", order_by=["version_number ASC"], max_results=2
    )
    assert [mv.version for mv in ordered] == ["1", "2"] and ordered.token
    assert client.get_model_version_download_uri(name, "2") == source
    client.delete_model_version(name, "2")
    assert code_of(lambda: client.get_model_version(name, "2")) == "RESOURCE_DOES_NOT_EXIST"
    assert client.create_model_version(name, source, run_id=run_id).version == "5"
    model = client.get_registered_model(name)
    assert sorted(mv.version for mv in model.latest_versions) == ["1", "3", "5"]


@flow
def aliases():
    name = uid("aliases")
    run_id = run_with_model()
    client.create_registered_model(name)
    for _ in range(2):
        client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
    client.set_registered_model_alias(name, "champion", "1")
    client.set_registered_model_alias(name, "champion", "2")
    client.set_registered_model_alias(name, "challenger", "1")
    assert client.get_model_version_by_alias(name, "champion").version == "2"
    assert client.get_model_version(name, "1").aliases == ["challenger"]
    assert client.get_registered_model(name).aliases == {"champion": "2", "challenger": "1"}
    for bad in ["latest", "v1", "a b"]:
        code = code_of(lambda: client.set_registered_model_alias(name, bad, "1"))
        assert code == "INVALID_PARAMETER_VALUE", bad
    client.delete_registered_model_alias(name, "challenger")
    assert code_of(lambda: client.get_model_version_by_alias(name, "challenger")) == (
        "INVALID_PARAMETER_VALUE"
    )
    client.delete_model_version(name, "2")
    assert client.get_registered_model(name).aliases == {}


@flow
def load_models_uri():
    name = uid("load")
    run_id = run_with_model()
    client.create_registered_model(name)
    client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
    art = client.get_run(run_id).info.artifact_uri
    client.create_model_version(name, f"{art}/model", run_id=run_id)
    client.set_registered_model_alias(name, "champion", "2")
    frame = pd.DataFrame({"x": [1, 2]})
    for uri in [f"models:/{name}/1", f"models:/{name}@champion", f"models:/{name}/latest"]:
        model = mlflow.pyfunc.load_model(uri)
        assert model.predict(frame)["x"].tolist() == [2, 3], uri
    local = mlflow.artifacts.download_artifacts(f"models:/{name}/1", dst_path=tempfile.mkdtemp(dir=WORK))
    assert os.path.exists(os.path.join(local, "MLmodel")), os.listdir(local)


def main():
    names = sys.argv[3:] or list(FLOWS)
    results = {}
    for n in names:
        try:
            FLOWS[n]()
            results[n] = "ok"
        except Exception:
            results[n] = traceback.format_exc()
    print("MLT_RESULTS " + json.dumps(results))


if __name__ == "__main__":
    main()
