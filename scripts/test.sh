#!/usr/bin/env bash
# Lint, type-check and run the whole test suite on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "PostgreSQL is not installed; installing it"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    local conf; conf="$(ls -d /etc/postgresql/*/main)"
    sed -i 's/^\(local\|host\)\(.*\)\(peer\|scram-sha-256\|md5\)$/\1\2trust/' "$conf/pg_hba.conf"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null
}

ensure_chromium() {
  # The browser tests drive Debian's Chromium; in CI they must run, so install it when missing.
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then return; fi
  if [ "${CI:-}" = "true" ] || [ "$(id -u)" = "0" ]; then
    echo "Chromium is not installed; installing it for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "Chromium is missing: the browser tests will be skipped (apt-get install chromium chromium-driver)"
  fi
}

echo "== ruff"
ruff check .
ruff format --check .
echo "== mypy"
mypy bot
echo "== import layers and cycles (import-linter; contracts in pyproject.toml)"
lint-imports
echo "== playbooks, templates, config"
python -m bot check
ensure_postgres
ensure_chromium
echo "== tests on SQLite"
TEST_DATABASE=sqlite python -m pytest
echo "== tests on PostgreSQL"
TEST_DATABASE=postgresql python -m pytest
