-- Run once by the postgres image on an empty data volume (docker-entrypoint-initdb.d), as
-- POSTGRES_USER in POSTGRES_DB (airflow, Airflow's metadata). The county_reports warehouse
-- (COUNTY_REPORTS_DB_URL) lives beside it on the same server, owned by the same user.
-- On a volume created before this script existed, run it by hand:
--   docker compose exec postgres psql -U airflow -d airflow -f /docker-entrypoint-initdb.d/10-county-reports.sql
CREATE DATABASE county_reports;
