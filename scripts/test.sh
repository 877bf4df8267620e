#!/usr/bin/env bash
# `make test`: the whole suite against private PostgreSQL and Redis (unless DATABASE_URL and REDIS_URL
# are given), with headless Chromium for the browser tests. Stops what it started; exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests drive: Chromium (browser tests), nginx and docker-compose (the deployment's
# proxy and compose file are checked for real).
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v docker-compose >/dev/null || missing+=(docker-compose)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The same checks as `make lint` first: ruff over the tree, mypy over the apps in MYPY_APPS.
make --no-print-directory lint

state=""
if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  state=$(mktemp -d /tmp/megilance-services.XXXXXX)
  trap 'scripts/services.sh stop "$state"; rm -rf "$state"' EXIT
  scripts/services.sh start "$state"
  # shellcheck disable=SC1091
  . "$state/env"
fi

export DJANGO_SETTINGS_MODULE=megilance.settings.test
.venv/bin/python -m pytest "$@"
