#!/usr/bin/env bash
# The ledger tests start a throwaway PostgreSQL 15 (initdb + pg_ctl from `pg_config --bindir`).
# The machine image has it; a bare Debian machine gets it here (as root), so nothing is installed by hand.
set -euo pipefail
if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
else
    echo "PostgreSQL 15 (initdb, pg_ctl, pg_config) is missing: apt-get install postgresql" >&2
fi
