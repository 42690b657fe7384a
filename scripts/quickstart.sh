#!/usr/bin/env bash
# Installs what is missing, builds lamina (Release) and runs the default cortical model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
mkdir -p results
./build/apps/lamina run examples/cortex.toml --out results/cortex.h5 "$@"
# The EEG proxy's spectrum (200 ms of start-up transient left out), with a PNG next to the file.
./build/apps/lamina spectrum results/cortex.h5 --skip 200
