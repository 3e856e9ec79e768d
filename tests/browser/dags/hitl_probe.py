"""A report waiting for an admin's approval, for the browser test of the Required Actions page:
one ApprovalOperator (Airflow's human-in-the-loop operator) that waits until someone answers."""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import DAG

with DAG("hitl_probe", schedule=None, start_date=datetime(2025, 1, 1), catchup=False,
         tags=["test"]) as dag:
    ApprovalOperator(task_id="approve_report", subject="批准报送：2025年上半年工作总结",
                     body="覆盖率 94%，未报单位：石桥镇交通运输管理站。", execution_timeout=timedelta(minutes=5))
