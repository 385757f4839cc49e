#!/usr/bin/env bash
# The whole suite on SQLite and on PostgreSQL at the same time (one run per core), each run's
# output kept in test-artifacts/pytest-<db>.log and printed at the end; fails if either fails.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
mkdir -p test-artifacts
declare -A pid
for db in sqlite postgres; do
  TERRAIN_TEST_DB=$db "$BIN/pytest" -p no:cacheprovider --db "$db" "$@" \
    >"test-artifacts/pytest-$db.log" 2>&1 &
  pid[$db]=$!
done
status=0
for db in sqlite postgres; do
  wait "${pid[$db]}"; rc=$?
  echo "===== pytest --db $db: exit $rc ====="
  if [ "$rc" -ne 0 ]; then status=1; cat "test-artifacts/pytest-$db.log"
  else tail -n 5 "test-artifacts/pytest-$db.log"; fi
done
exit $status
