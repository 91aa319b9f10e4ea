"""MLflow 3's registry meets logged models, with the real Python mlflow client.

Usage:
  python registered_models.py server <tracking-url>   against a running server
  python registered_models.py project                inside `mlt run` (MLFLOW_RUN_ID)

Logs a scikit-learn model with `registered_model_name`, registers it again from `runs:/<run>/model`
and from `models:/m-<id>`, sets an alias, loads `models:/<name>/1`, `@champion` and `/latest`
(each must predict as the in-process model does), then prints `MLT_REGISTERED {…}`: the
versions as `search_model_versions` shows them and the logged models as `search_logged_models`
shows them, with ids replaced by placeholders, for registry_models_compat_test.ts to compare
with what `mlflow server` shows.
"""

import json
import os
import sys
import warnings

import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

warnings.filterwarnings("ignore")
MODE = sys.argv[1]
if MODE == "server":
    mlflow.set_tracking_uri(sys.argv[2])
NAME = "iris"
client = MlflowClient()
X, Y = load_iris(return_X_y=True)
clf = LogisticRegression(max_iter=200).fit(X, Y)

with mlflow.start_run(run_id=os.environ.get("MLFLOW_RUN_ID")) as run:
    info = mlflow.sklearn.log_model(clf, name="model", registered_model_name=NAME)
run_id = run.info.run_id
from_run = mlflow.register_model(f"runs:/{run_id}/model", NAME)
from_model = mlflow.register_model(f"models:/{info.model_id}", NAME)
client.set_registered_model_alias(NAME, "champion", from_run.version)

expected = clf.predict(X)
loaded = {}
for uri in (f"models:/{NAME}/1", f"models:/{NAME}@champion", f"models:/{NAME}/latest"):
    loaded[uri.replace(NAME, "<name>")] = bool(
        np.array_equal(mlflow.pyfunc.load_model(uri).predict(X), expected)
    )

IDS = {run_id: "<run>", info.model_id: "<model>"}


def ids(value):
    if value is None:
        return None
    for real, placeholder in IDS.items():
        value = value.replace(real, placeholder)
    return value


def download_uri(version):
    uri = client.get_model_version_download_uri(NAME, version)
    # The experiment's artifact root differs by store; what follows it must not.
    return ids(uri[uri.index("/models/"):]) if "/models/" in uri else ids(uri)


report = {
    "model_version": [info.registered_model_version, from_run.version, from_model.version],
    "loaded": loaded,
    "versions": [
        {
            "version": v.version,
            "source": ids(v.source),
            "run_id": ids(v.run_id),
            "model_id": ids(v.model_id),
            "aliases": list(v.aliases),
            "download": download_uri(v.version),
        }
        for v in client.search_model_versions(f"name='{NAME}'")
    ],
    "logged_models": [
        {
            "model_id": ids(m.model_id),
            "source_run_id": ids(m.source_run_id),
            "model_versions": m.tags.get("mlflow.modelVersions"),
        }
        for m in mlflow.search_logged_models(output_format="list")
    ],
}
print("MLT_REGISTERED " + json.dumps(report, sort_keys=True), flush=True)
