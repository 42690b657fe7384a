#!/usr/bin/env bash
# Installs what is missing, builds lamina (Release) and runs the default cortical model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
mkdir -p results
./build/apps/lamina run examples/cortex.toml --out results/cortex.h5 "$@"
