#!/usr/bin/env bash
# Configures and builds lamina (Release) in build/. Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j "$(nproc)"

# `import lamina` for Debian's python3 from any directory, without environment variables: a .pth
# file in its site directory names build/python (the module and the package, python/CMakeLists.txt).
# Rewritten on every build so it follows the checkout that was built last; the user site when the
# system site is not writable.
if [ -x /usr/bin/python3 ] && [ -d build/python/lamina ]; then
  site=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
  if ! { mkdir -p "$site" 2>/dev/null && [ -w "$site" ]; }; then
    site=$(/usr/bin/python3 -m site --user-site)
    mkdir -p "$site"
  fi
  echo "$PWD/build/python" > "$site/lamina.pth"
  echo "lamina: import lamina (python3) uses $PWD/build/python ($site/lamina.pth)"
fi
