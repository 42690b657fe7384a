#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole default test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build && ctest --output-on-failure -LE "long|validation" -j 1
