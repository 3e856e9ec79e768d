#!/usr/bin/env bash
# Run once by the postgres image on an empty data volume (docker-entrypoint-initdb.d), as the
# superuser POSTGRES_USER, which no Airflow service uses. Each service gets a role that owns only
# its own database, none of them a superuser:
#
#   AIRFLOW_DB_USER      owns AIRFLOW_DB (airflow)               Airflow's metadata: the control plane
#   WAREHOUSE_USER       owns WAREHOUSE_DB (county_reports)      the warehouse: the workers
#   WAREHOUSE_READER     SELECT only in WAREHOUSE_DB             the status pages: the api-server
#   CELERY_RESULTS_USER  owns CELERY_RESULTS_DB (celery_results) Celery's task results
#
# No role may connect to another's database (CONNECT revoked from PUBLIC). Passwords come from
# the environment (docker-compose.yaml passes them on from .env) and reach psql through
# \getenv, never on a command line. Idempotent: run again, it creates what is missing and sets
# the passwords. On a volume created before this script existed, run it by hand:
#   docker compose exec postgres bash /docker-entrypoint-initdb.d/10-county-reports.sh
set -euo pipefail

export AIRFLOW_DB="${AIRFLOW_DB:-airflow}" AIRFLOW_DB_USER="${AIRFLOW_DB_USER:-airflow}"
export WAREHOUSE_DB="${WAREHOUSE_DB:-county_reports}" WAREHOUSE_USER="${WAREHOUSE_USER:-county_reports}"
export WAREHOUSE_READER="${WAREHOUSE_READER:-county_reports_reader}"
export CELERY_RESULTS_DB="${CELERY_RESULTS_DB:-celery_results}"
export CELERY_RESULTS_USER="${CELERY_RESULTS_USER:-celery_results}"
: "${AIRFLOW_DB_PASSWORD:?}" "${WAREHOUSE_DB_PASSWORD:?}" "${WAREHOUSE_READER_PASSWORD:?}"
: "${CELERY_RESULTS_DB_PASSWORD:?}"

sql() {   # sql DATABASE < statements: as the superuser, the names and passwords as psql variables
  psql -v ON_ERROR_STOP=1 -X -q --username "${POSTGRES_USER:-postgres}" --dbname "$1" -f - <<<"
\\getenv airflow_db AIRFLOW_DB
\\getenv airflow_user AIRFLOW_DB_USER
\\getenv wh_db WAREHOUSE_DB
\\getenv wh_user WAREHOUSE_USER
\\getenv wh_reader WAREHOUSE_READER
\\getenv celery_db CELERY_RESULTS_DB
\\getenv celery_user CELERY_RESULTS_USER
\\getenv airflow_pw AIRFLOW_DB_PASSWORD
\\getenv wh_pw WAREHOUSE_DB_PASSWORD
\\getenv reader_pw WAREHOUSE_READER_PASSWORD
\\getenv celery_pw CELERY_RESULTS_DB_PASSWORD
$(cat)"
}

sql "${POSTGRES_DB:-postgres}" <<'SQL'
SELECT format('CREATE ROLE %I', r) FROM unnest(ARRAY[:'airflow_user', :'wh_user', :'wh_reader', :'celery_user']) r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L', u, p)
  FROM (VALUES (:'airflow_user', :'airflow_pw'), (:'wh_user', :'wh_pw'), (:'wh_reader', :'reader_pw'),
               (:'celery_user', :'celery_pw')) AS v(u, p) \gexec
SELECT format('CREATE DATABASE %I OWNER %I', d, o)
  FROM (VALUES (:'airflow_db', :'airflow_user'), (:'wh_db', :'wh_user'), (:'celery_db', :'celery_user')) AS v(d, o)
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = d) \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', d) FROM unnest(ARRAY[:'airflow_db', :'wh_db', :'celery_db']) d \gexec
GRANT CONNECT ON DATABASE :"wh_db" TO :"wh_reader";
SQL

# In each database its owner owns the public schema (it alone creates there); in the warehouse
# the reader may read what the owner creates, now and later.
sql "$WAREHOUSE_DB" <<'SQL'
ALTER SCHEMA public OWNER TO :"wh_user";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"wh_reader";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"wh_reader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"wh_user" IN SCHEMA public GRANT SELECT ON TABLES TO :"wh_reader";
SQL
sql "$AIRFLOW_DB" <<'SQL'
ALTER SCHEMA public OWNER TO :"airflow_user";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
SQL
sql "$CELERY_RESULTS_DB" <<'SQL'
ALTER SCHEMA public OWNER TO :"celery_user";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
SQL
