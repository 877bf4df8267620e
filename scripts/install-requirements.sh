#!/usr/bin/env bash
# Creates the virtual environment when it is missing and installs a requirements file into it, saying what
# it is doing. With uv from PyPI when it can be had (it downloads and installs in parallel: a fresh install
# takes well under a minute), otherwise with pip.
#   usage: scripts/install-requirements.sh requirements.txt [VENV] [PYTHON]
set -euo pipefail

requirements="$1"
venv="${2:-.venv}"
python="${3:-$(command -v python3.11 || command -v python3)}"
uv_version="0.13.8"
py="$venv/bin/python"

if [ ! -x "$py" ]; then
  echo "==> Creating the virtual environment $venv ($("$python" --version))"
  "$python" -m venv "$venv"
fi

if [ -z "${MEGILANCE_INSTALL_WITH_PIP:-}" ] && [ ! -x "$venv/bin/uv" ]; then
  echo "==> Getting uv $uv_version, a fast installer, from PyPI"
  "$py" -m pip install -q --disable-pip-version-check "uv==$uv_version" \
    || echo "    uv could not be installed; pip will install the packages instead"
fi

if [ -z "${MEGILANCE_INSTALL_WITH_PIP:-}" ] && [ -x "$venv/bin/uv" ]; then
  echo "==> Installing the packages of $requirements with uv"
  if "$venv/bin/uv" pip install --python "$py" -r "$requirements"; then
    exit 0
  fi
  echo "    uv did not finish; pip will install the packages instead"
fi

echo "==> Installing the packages of $requirements with pip (a few minutes on a fresh machine)"
"$py" -m pip install --disable-pip-version-check --progress-bar on -r "$requirements"
