"""The models' key lists are the loaders' (kept twice so that a model imports no loader)."""
from __future__ import annotations

from dataclasses import fields

from county_reports.collect import template_projects, template_wording
from county_reports.core.config_models import texts
from county_reports.core.projects import vocabulary
from county_reports.render.review import settings as edited
from county_reports.validate import narratives, options


def _defaults(dataclass, skip=()):
    return {f.name: f.default for f in fields(dataclass) if f.name not in skip}


def test_edited_keys():
    assert (texts.EDITED_LIMITS, texts.HEADINGS, texts.LAYOUT_TABLES) == (edited.LIMITS, edited.HEADINGS,
                                                                          edited.LAYOUT_TABLES)
    assert (tuple(edited.MESSAGES), tuple(edited.LAYOUT), tuple(edited.DIFF)) == \
        (texts.EDITED_MESSAGES, texts.EDITED_LAYOUT, texts.EDITED_DIFF)


def test_validation_keys_and_defaults():
    assert (texts.BUILTIN_CHECKS, texts.OUTLIER_METHODS) == (options.BUILTIN_CHECKS, options.OUTLIER_METHODS)
    assert _defaults(options.OutlierSettings, skip=("methods",)) == texts.OUTLIER_DEFAULTS
    assert texts.CONFIRMATION_LIMITS == options.CONFIRMATION_LIMITS
    assert _defaults(narratives.NarrativeLimits) == texts.NARRATIVE_LIMITS


def test_template_and_ledger_keys():
    assert texts.SHEET_ROLES == template_wording.SHEET_ROLES and texts.FACTS == template_wording._FACTS
    assert (*template_wording._WORDS, *template_projects.WORDS) == texts.TEMPLATE_WORDS
    assert (texts.LEDGER_LIMITS, texts.LEDGER_WORDS) == (vocabulary.LIMITS, vocabulary.WORDS)
    assert tuple(vocabulary.MESSAGES) == texts.LEDGER_MESSAGES
