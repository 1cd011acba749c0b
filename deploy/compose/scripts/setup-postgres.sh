#!/bin/sh
# Creates and migrates Temporal's databases with temporal-sql-tool (the schema is embedded in the tool).
# Run by temporal-admin-tools before the server starts (docker-compose.yml), and by `npm run cluster`
# with the tool it built. Safe to run again: an existing database is only migrated forward.
set -eu
: "${POSTGRES_SEEDS:=postgresql}" "${DB_PORT:=5432}" "${POSTGRES_USER:=temporal}"
export SQL_PASSWORD="${SQL_PASSWORD:-temporal}"
sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"; }
for db in temporal temporal_visibility; do
  schema=temporal
  [ "$db" = temporal_visibility ] && schema=visibility
  if sql --db "$db" create-database; then
    sql --db "$db" setup-schema -v 0.0
  else
    echo "Database $db exists; migrating it forward"
  fi
  sql --db "$db" update-schema --schema-name "postgresql/v12/$schema"
done
echo 'PostgreSQL schema setup complete'
