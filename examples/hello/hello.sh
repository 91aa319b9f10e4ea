#!/usr/bin/env bash
# Greets NAME TIMES times, sleeping PAUSE seconds between lines, and shows the run it belongs to.
set -euo pipefail
greeting=$1 name=$2 times=$3 pause=$4
echo "run ${MLFLOW_RUN_ID} in experiment ${MLFLOW_EXPERIMENT_ID}, tracking ${MLFLOW_TRACKING_URI}"
for ((i = 1; i <= times; i++)); do
  printf '%s, %s! (%d/%d)\n' "$greeting" "$name" "$i" "$times"
  if ((i < times)); then sleep "$pause"; fi
done
