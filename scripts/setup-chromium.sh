#!/usr/bin/env bash
# Debian's Chromium, headless, for the tests that open the Stitch QA report (tests/quality). apt
# needs root; elsewhere the step only says what is missing and those tests skip. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: /usr/bin/chromium is missing; as root: apt-get install chromium (the report tests skip without it)" >&2
  else
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-cache show chromium >/dev/null 2>&1; then
      apt-get update -qq
    fi
    # A stale package list names versions the mirror no longer has: refresh once and retry.
    apt-get install -y -qq --no-install-recommends chromium >/dev/null \
      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
    echo "setup: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) installed"
  fi
fi

