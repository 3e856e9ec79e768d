"""What a clerk e-mails (re-exported from the simulator, which the demo uses too)."""
from county_reports.simulator.mail import email, filled_template, plain_workbook  # noqa: F401
