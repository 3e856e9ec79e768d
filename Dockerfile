# The image every Airflow service of docker-compose.yaml runs (and the unit simulator).
#
#   docker compose build
#
# Airflow itself comes from the official image; requirements.txt pins apache-airflow to the
# same version, so pip keeps it and adds the project's dependencies, resolved together with
# constraints.txt (the full pinned set, see scripts/freeze-constraints.sh).
FROM apache/airflow:3.3.2-python3.11

COPY --chown=airflow:0 requirements.txt constraints.txt /opt/airflow/
RUN pip install --no-cache-dir -r /opt/airflow/requirements.txt -c /opt/airflow/constraints.txt

# The domain package, installed editable: a .pth file puts /opt/airflow/include on sys.path, so
# the ./include bind mount of docker-compose.yaml (code and include/config) takes effect without
# a rebuild, and an image run without the mount still has the copy made here.
COPY --chown=airflow:0 pyproject.toml /opt/airflow/
COPY --chown=airflow:0 include/ /opt/airflow/include/
RUN pip install --no-cache-dir --no-deps -e /opt/airflow \
 && python -c "import county_reports"

# Mount points of the named volumes: created here, group 0 writable, so a fresh volume starts
# with this ownership and any AIRFLOW_UID (always in group 0) can write to it. What the services
# create inside the data folder is their user's alone (folders 0700, files 0600): keep
# AIRFLOW_UID fixed once data is written.
USER root
RUN mkdir -p /opt/airflow/data \
 && chown -R airflow:0 /opt/airflow/data \
 && chmod -R g+rwX /opt/airflow/data
USER airflow

ENV COUNTY_REPORTS_DATA=/opt/airflow/data
