#!/bin/bash
# make_venv.sh VENV CONSTRAINTS REQUIREMENTS
#
# Makes the virtualenv VENV (Debian's /usr/bin/python3 -m venv) and installs
# REQUIREMENTS into it, every version pinned by CONSTRAINTS (a release's
# upper-constraints.txt). VENV's name carries a hash of both files, so a venv
# that finished (its .installed stamp is there) is left as it is: a warm run
# installs nothing. A half-made one (no stamp) is made again. One make at a
# time per venv (flock), so engineers sharing a machine do not race.
set -euo pipefail

venv=$1
constraints=$2
requirements=$3
stamp="$venv/.installed"

[ -f "$stamp" ] && exit 0

if ! /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null; then
  echo "installing Debian's python3-venv"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends python3-venv
fi

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
[ -f "$stamp" ] && exit 0

echo "making $venv"
start=$(date +%s)
rm -rf "$venv"
/usr/bin/python3 -m venv "$venv"
# The venv's own pip (Debian's bundled wheel), never the system's. Its
# notice for each sdist built the legacy way is left out.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --no-input -c "$constraints" -r "$requirements" \
  2> >(grep -v "legacy 'setup.py install'" >&2)
"$venv/bin/python" -m pip check --disable-pip-version-check >/dev/null || \
  "$venv/bin/python" -m pip check --disable-pip-version-check >&2 || true
"$venv/bin/python" - <<'EOF'
import importlib.metadata as md
import sys
print("  python %d.%d.%d, magnum %s, grpcio %s, protobuf %s" % (
    sys.version_info[:3] + tuple(md.version(n) for n in
                                 ("magnum", "grpcio", "protobuf"))))
EOF
touch "$stamp"
echo "  made in $(( $(date +%s) - start )) s"
