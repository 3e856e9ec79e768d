"""Helpers of the report DAG tests: answering an approval while dag.test() runs."""
from __future__ import annotations

import threading


class Answerer(threading.Thread):
    """Answers the DAG's next approval request over the REST API while dag.test() runs."""

    def __init__(self, api, dag_id: str, choose, timeout: float = 240.0):
        super().__init__(daemon=True)
        self.api, self.dag_id, self.choose, self.timeout = api, dag_id, choose, timeout
        self.answered = None
        self.error: BaseException | None = None
        self._halt = threading.Event()

    def run(self):
        from county_reports.required_actions import answer_when_asked

        try:
            self.answered = answer_when_asked(self.api, self.dag_id, self.choose, timeout=self.timeout,
                                              stop=self._halt.is_set)
        except BaseException as exc:  # reported by the test
            self.error = exc

    def finish(self):
        self._halt.set()
        self.join(timeout=30)
        if self.error:
            raise self.error
        return self.answered
