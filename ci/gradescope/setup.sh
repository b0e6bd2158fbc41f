#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image
# (gradescope-autograders.readthedocs.io/en/latest/specs/).  It installs
# the Debian (or Ubuntu) packages grade builds against and builds and
# installs grade from the source tree that came in the autograder zip
# (ci/gradescope/README.md makes the zip: the tree under grade/, this
# script and run_autograder at its root).
#
# grade embeds CPython 3.11 or later: pick a Gradescope base image whose
# python3-dev is 3.11+ (Debian 12, Ubuntu 24.04).  GRADE_SOURCE overrides
# where the source tree is.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${GRADE_SOURCE:-}
for guess in "$here/grade" "$here/../.."; do
  [[ -z $src && -f $guess/meson.build && -d $guess/grader ]] && src=$(cd "$guess" && pwd)
done
if [[ -z $src ]]; then
  echo "setup.sh: no grade source tree next to $here (expected $here/grade)" >&2
  exit 1
fi

# What quickstart --deps installs, without the test suite's readers.
packages=(gcc meson ninja-build pkg-config python3-dev libyaml-dev libgit2-dev libjansson-dev
          libseccomp-dev libxml2-dev libsqlite3-dev nettle-dev)
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup.sh: grade embeds CPython 3.11 or later; this image has $(python3 --version)" >&2
  echo "setup.sh: choose a base image with Python 3.11+ (Debian 12, Ubuntu 24.04)" >&2
  exit 1
fi

build=$(mktemp -d)
meson setup "$build" "$src" --prefix=/usr --buildtype=release -Dtests=disabled >"$build.log" 2>&1 ||
  { cat "$build.log" >&2; exit 1; }
ninja -C "$build" >"$build.log" 2>&1 || { tail -50 "$build.log" >&2; exit 1; }
meson install -C "$build" --no-rebuild >/dev/null
rm -rf "$build" "$build.log"
grade --version
