"""What validation hands to the warehouse: one verdict per submission, with its issues.

These types are the contract between the validate stage and the stages after it (store,
notify, aggregate). Later stages import them; this module imports nothing from later stages.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ACCEPTED = "accepted"
ACCEPTED_WITH_WARNINGS = "accepted_with_warnings"
REJECTED = "rejected"
VERDICTS = (ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED)
ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Issue:
    """One thing wrong (error) or worth a follow-up (warning) in one submission."""

    unit: str
    period: str
    indicator: str | None   # indicator code, None for whole-submission problems
    value: str | None       # the value as the unit sent it, as text
    rule: str               # rule code: KNOWN_CODE, REQUIRED, NUMERIC, BOUNDS, … or a rules.yaml code
    importance: str         # error | warning
    message: str            # complete Chinese sentence(s): unit, period, indicator, value, rule, what to do
    effect: float | None = None   # OUTLIER: |value − expected| / the county total (selective editing)
    expected: float | None = None  # OUTLIER: the value the check expected (the history's median)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Finding:
    """An issue as verdict building finds it: codes and data, no words yet. Once the verdicts are
    built, ``feedback.word`` words every finding in one pass (validation.yaml ``checks.<wording>``
    filled with ``data``) and it becomes an :class:`Issue` with the same codes."""

    unit: str
    period: str
    indicator: str | None
    value: str | None
    rule: str
    importance: str
    wording: str                   # the check whose words tell it: the rule, RULE, OUTLIER_CONFIRMED …
    data: dict[str, Any] = field(default_factory=dict)   # what the words are filled with
    effect: float | None = None
    expected: float | None = None


@dataclass(frozen=True)
class Received:
    """A submission that arrived (a ``received`` or ``refused`` collection outcome), ready to check."""

    unit: str                      # the unit whose endpoint or inbox it came from
    period: str                    # the period that was asked for
    sha256: str                    # archive key of the raw bytes
    source: str                    # http | inbox | file
    received_at: str               # ISO 8601, when we got it
    payload: dict[str, Any] | None  # the protocol-v1 envelope; None when unreadable
    unreadable_reason: str | None = None


@dataclass(frozen=True)
class Verdict:
    unit: str
    period: str
    sha256: str
    source: str
    received_at: str
    submitted_at: str | None
    status: str                                   # accepted | accepted_with_warnings | rejected
    values: dict[str, float] = field(default_factory=dict)     # normalised numeric values
    raw_values: dict[str, str] = field(default_factory=dict)   # every value as sent, as text
    narratives: tuple[dict[str, str], ...] = ()                # {kind, section, text}
    contact: dict[str, str] = field(default_factory=dict)
    issues: tuple[Issue, ...] = ()     # while the verdicts are built: Findings (feedback.word words them)
    # indicator -> the unit's one-line reason: "核实无误" for a value flagged as a likely slip
    # (protocol 1 ``confirmations``, the template's 核实说明 column); see validate.confirmations
    confirmations: dict[str, str] = field(default_factory=dict)
    projects: tuple[dict[str, Any], ...] = ()    # key-projects ledger rows read (validate.key_projects)
    events: tuple[dict[str, Any], ...] = ()      # events read

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.importance == ERROR)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.importance == WARNING)


def verdict_to_dict(verdict: Verdict) -> dict[str, Any]:
    return asdict(verdict)


def verdict_from_dict(data: dict[str, Any]) -> Verdict:
    fields = dict(data)
    fields["issues"] = tuple(Issue(**i) for i in fields.get("issues", ()))
    fields["narratives"] = tuple(fields.get("narratives", ()))
    fields["projects"] = tuple(fields.get("projects", ()))
    fields["events"] = tuple(fields.get("events", ()))
    return Verdict(**fields)


def write_verdicts(path, verdicts: list[Verdict]) -> None:
    """Verdicts as a JSON file: how the DAG hands them from one task to the next (small XComs)."""
    import json

    from county_reports.core import atomic

    atomic.write_text(path, json.dumps([verdict_to_dict(v) for v in verdicts], ensure_ascii=False,
                                       sort_keys=True))


def read_verdicts(path) -> list[Verdict]:
    import json
    from county_reports.core import paths

    return [verdict_from_dict(d) for d in json.loads(paths.location(path).read_text(encoding="utf-8"))]
