"""Create the FAB role that may read a county's month for its city, and nothing else.

    python scripts/federation_role.py          # with the county's Airflow environment (AIRFLOW_HOME …)

The route ``/county-reports/federation/submissions/{period}`` (plugins/county_reports_status.py)
asks the auth manager ``is_authorized_custom_view(GET, "County Reports Federation")``; the FAB
auth manager answers from its permissions table, so the resource and its ``can_read`` must exist.
``airflow roles add-perms`` only grants resources that exist already, and nothing in Airflow
creates a plugin's custom resource: this does, once (idempotent), and gives it to the role
``CountyReportsFederation``. Then create the city's service account with that role alone:

    airflow users create --role CountyReportsFederation --username city_pull …
"""
from __future__ import annotations

ROLE = "CountyReportsFederation"
RESOURCE = "County Reports Federation"     # = FEDERATION_RESOURCE in the plugin
ACTION = "can_read"


def main() -> None:
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    with get_application_builder() as appbuilder:
        security = appbuilder.sm
        role = security.find_role(ROLE) or security.add_role(ROLE)
        permission = security.create_permission(ACTION, RESOURCE)
        if permission not in role.permissions:
            security.add_permission_to_role(role, permission)
    print(f"role {ROLE}: {ACTION} on {RESOURCE!r}")


if __name__ == "__main__":
    main()
