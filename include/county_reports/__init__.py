"""County transport bureau reporting: collect, validate, store, aggregate, render, deliver.

Plain Python, no Airflow import: the DAGs in ``dags/`` call into this package.
"""
