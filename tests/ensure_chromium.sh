#!/usr/bin/env bash
# Headless Chromium for the page tests: Debian's package, installed when missing (as ensure_postgres.sh does
# for PostgreSQL). Playwright drives it through executable_path; `playwright install` is never run.
set -euo pipefail
if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
    echo "Chromium is missing: apt-get install chromium (the page tests drive it headless)" >&2
fi
