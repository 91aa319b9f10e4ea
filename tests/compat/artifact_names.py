"""Log artifacts whose names hold %XX with the real mlflow client, then list and download them.

Usage: python artifact_names.py <tracking URI> <workdir> <name> ...
Prints one line `MLT_RESULTS {json}`: the run id, each upload's outcome, the listed paths, and
each download's [file name, content] or error. artifact_names_compat_test.ts asserts on it.
"""

import json
import os
import sys
import tempfile

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from mlflow import MlflowClient  # noqa: E402

URI, WORK = sys.argv[1], sys.argv[2]
NAMES = sys.argv[3:]
client = MlflowClient(URI)
exp = client.create_experiment("names-" + os.urandom(4).hex())
run = client.create_run(exp).info.run_id
src = tempfile.mkdtemp(dir=WORK)
out = {"run_id": run, "upload": {}, "listed": [], "download": {}}
for i, name in enumerate(NAMES):
    path = os.path.join(src, name)
    with open(path, "w") as f:
        f.write(f"content {i}")
    try:
        client.log_artifact(run, path)
        out["upload"][name] = "ok"
    except Exception as e:  # noqa: BLE001 - reported, asserted by the test
        out["upload"][name] = f"{type(e).__name__}: {e}"[:300]
out["listed"] = sorted(f.path for f in client.list_artifacts(run))
for name in NAMES:
    try:
        got = client.download_artifacts(run, name, tempfile.mkdtemp(dir=WORK))
        with open(got) as f:
            out["download"][name] = [os.path.basename(got), f.read()]
    except Exception as e:  # noqa: BLE001
        out["download"][name] = f"{type(e).__name__}: {e}"[:300]
print("MLT_RESULTS " + json.dumps(out))
