#!/bin/sh
# Temporal's two databases and their schemas on PostgreSQL, with temporal-sql-tool: run by
# compose's schema job (temporalio/admin-tools) and by the native cluster
# (tools/engine/cluster.ts), so both set up the same thing. Idempotent: an existing database
# is kept and only newer schema versions are applied.
#   POSTGRES_SEEDS, DB_PORT, POSTGRES_USER (SQL_PASSWORD if any), SCHEMA_DIR (postgresql/v12)
set -eu
schema_dir="${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"
sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"; }

for pair in temporal:temporal temporal_visibility:visibility; do
  db="${pair%%:*}"
  dir="${pair##*:}"
  echo "schema: $db"
  if ! out=$(sql --db "$db" create-database 2>&1); then
    echo "$out" | grep -qi "already exists" || { echo "$out" >&2; exit 1; }
  fi
  # setup-schema only creates the version table; on a database that has one it changes nothing.
  sql --db "$db" setup-schema -v 0.0 >/dev/null 2>&1 || true
  sql --db "$db" update-schema -d "$schema_dir/$dir/versioned"
done
