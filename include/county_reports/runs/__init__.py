"""One module per DAG, under the DAG's own name: its task bodies as plain Python.

``dags/<name>.py`` only wires them (schedule, params, Airflow's Connections) and calls
``county_reports.runs.<name>``; a run module may use every stage, and no stage imports it.
"""
