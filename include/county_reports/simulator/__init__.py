"""The unit simulator: every subordinate unit's endpoint, speaking submission protocol v1.

A real HTTP server (:class:`SimulatorServer`) serving deterministic, seasonal monthly
submissions calibrated to the county's targets (:mod:`.data`), with the faults real endpoints
have (:mod:`.faults`, chosen per unit and month in ``config/simulator/profile.yaml``).
Plain Python, no Airflow import.
"""
from county_reports.simulator.data import SubmissionGenerator, enforce_rules, payload
from county_reports.simulator.faults import faulty_body
from county_reports.simulator.profile import (CONTENT_FAULTS, FAULTS, TRANSPORT_FAULTS, Profile,
                                              as_profile, load_profile)
from county_reports.simulator.http_server import Request, Response
from county_reports.simulator.server import (FIRST_PERIOD, LAST_PERIOD, SimulatorServer, make_tokens,
                                             serve_forever)

__all__ = [
    "CONTENT_FAULTS", "FAULTS", "FIRST_PERIOD", "LAST_PERIOD", "Profile", "Request", "Response",
    "SimulatorServer", "SubmissionGenerator", "TRANSPORT_FAULTS", "as_profile", "enforce_rules",
    "faulty_body", "load_profile", "make_tokens", "payload", "serve_forever",
]
