"""The real MLflow client against a tracking server whose artifacts live in S3 (s3_compat_test.ts).

usage: s3_flows.py proxy|mpu|mpu-abort|direct <workdir> [bucket experiment]
Prints one JSON object: what the test asserts.
"""

import hashlib
import json
import os
import sys

import mlflow
from mlflow import MlflowClient
from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository

mode, work = sys.argv[1], sys.argv[2]
calls = []


def counted(name):
    original = getattr(HttpArtifactRepository, name)

    def wrapper(self, *args, **kwargs):
        calls.append(name)
        return original(self, *args, **kwargs)

    setattr(HttpArtifactRepository, name, wrapper)


for n in ["create_multipart_upload", "complete_multipart_upload", "abort_multipart_upload"]:
    counted(n)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


out = {}
if mode == "proxy":
    mlflow.set_experiment("s3-proxy")
    src = os.path.join(work, "src")
    os.makedirs(os.path.join(src, "sub"))
    with open(os.path.join(src, "a.txt"), "w") as f:
        f.write("alpha")
    with open(os.path.join(src, "sub", "b.csv"), "w") as f:
        f.write("x,y\n1,2\n")
    one = os.path.join(work, "single.json")
    with open(one, "w") as f:
        json.dump({"k": 1}, f)
    with mlflow.start_run() as run:
        mlflow.log_artifact(one)
        mlflow.log_artifacts(src, artifact_path="tree")
        import numpy as np
        from sklearn.linear_model import LinearRegression

        X = np.array([[0.0], [1.0], [2.0]])
        model = LinearRegression().fit(X, np.array([1.0, 3.0, 5.0]))
        info = mlflow.sklearn.log_model(model, name="model")
    client = MlflowClient()
    out["run_id"] = run.info.run_id
    out["artifact_uri"] = run.info.artifact_uri
    out["top"] = sorted(f.path for f in client.list_artifacts(run.info.run_id))
    out["tree"] = sorted(f.path for f in client.list_artifacts(run.info.run_id, "tree/sub"))
    dst = os.path.join(work, "down")
    local = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="tree", dst_path=dst)
    with open(os.path.join(local, "a.txt")) as f:
        out["downloaded"] = f.read()
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    out["prediction"] = float(loaded.predict(np.array([[3.0]]))[0])
    out["model_id"] = info.model_id
elif mode in ("mpu", "mpu-abort"):
    mlflow.set_experiment("s3-mpu")
    big = os.path.join(work, "big.bin")
    size = int(os.environ["MPU_TEST_BYTES"])
    with open(big, "wb") as f:
        block = os.urandom(1 << 20)
        for i in range(size // len(block)):
            f.write(hashlib.sha256(block + i.to_bytes(4, "big")).digest()[:8] + block[8:])
    if mode == "mpu-abort":
        original = HttpArtifactRepository._upload_part

        def failing(credential, local_file, size, start_byte):
            if credential.part_number == 3:
                raise RuntimeError("part 3 lost on the way")
            return original(credential, local_file, size, start_byte)

        HttpArtifactRepository._upload_part = staticmethod(failing)
    with mlflow.start_run() as run:
        out["run_id"] = run.info.run_id
        out["artifact_uri"] = run.info.artifact_uri
        try:
            mlflow.log_artifact(big, artifact_path="data")
            out["logged"] = True
        except Exception as e:  # the abort case
            out["logged"] = False
            out["error"] = str(e)[:300]
    out["sha256"] = sha256(big)
    out["size"] = os.path.getsize(big)
    if mode == "mpu":
        dst = os.path.join(work, "back")
        local = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="data/big.bin", dst_path=dst)
        out["downloaded_sha256"] = sha256(local)
elif mode == "direct":
    bucket = sys.argv[3]
    exp = mlflow.create_experiment(sys.argv[4], artifact_location=f"s3://{bucket}/direct")
    with mlflow.start_run(experiment_id=exp) as run:
        mlflow.log_text("straight to S3", "notes/hello.txt")
        mlflow.log_dict({"a": 1}, "conf.json")
    out["run_id"] = run.info.run_id
    out["artifact_uri"] = run.info.artifact_uri
out["calls"] = calls
print(json.dumps(out))
