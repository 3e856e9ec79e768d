"""batch reads a submission of plain numbers a column at a time: the same rows as value by value."""
from __future__ import annotations

import math

import pytest
from validate_helpers import clean_payload, received

from county_reports.validate import batch as batch_mod

UNIT = "TS01"
# Values at the edges of the bulk path's check: each must send its submission value by value.
IRREGULAR = [1e300, -1e300, 10 ** 301, 10 ** 400, math.nan, math.inf, -math.inf,
             True, False, None, "12", [1], {"a": 1}]
# Plain numbers the bulk path takes, whose text and number must come out as value by value.
# (10 ** 300 is below the float 1e300, which is 1.0000000000000000525e300: plain on both paths.)
PLAIN = [0, -0.0, 1, 1.5, -7, 2 ** 53 + 1, 9.999e299, -9.999e299, 10 ** 300, -(10 ** 300), 0.1 + 0.2,
         123456789012345678]


def _columns(columns) -> list[tuple]:
    rows = zip(columns.codes, columns.raws, columns.numbers, columns.problems, columns.required, strict=False)
    return [(c, r, "nan" if isinstance(n, float) and math.isnan(n) else n, p, q) for c, r, n, p, q in rows]


def _one_by_one(readable, catalog, options):
    """The reference: every submission through ``_read_each`` (the value-by-value path)."""
    out = batch_mod._ValueColumns()
    known = batch_mod._required_codes(catalog)
    for rec in readable:
        values = batch_mod.value_map(rec.payload)
        batch_mod._read_each(values, set(known(rec.unit)), catalog.indicator_by_code,
                             frozenset(i.uom for i in catalog.indicators), options, {}, out)
        out.add_missing([c for c in known(rec.unit) if c not in values])
    return out


def _submissions(vcatalog, extra):
    code = next(iter(clean_payload(vcatalog, UNIT)["values"]))
    return [received(UNIT, clean_payload(vcatalog, UNIT, **{code: value})) for value in extra]


@pytest.mark.parametrize("value", IRREGULAR, ids=repr)
def test_an_irregular_value_sends_its_submission_value_by_value(vcatalog, voptions, value):
    [rec] = _submissions(vcatalog, [value])
    assert not batch_mod._plain_numbers(rec.payload["values"], frozenset(vcatalog.indicator_by_code))
    assert _columns(batch_mod._read_values([rec], vcatalog, voptions)) == \
        _columns(_one_by_one([rec], vcatalog, voptions))


def test_an_unknown_code_sends_its_submission_value_by_value(vcatalog, voptions):
    rec = received(UNIT, clean_payload(vcatalog, UNIT, NOT_AN_INDICATOR=5))
    assert not batch_mod._plain_numbers(rec.payload["values"], frozenset(vcatalog.indicator_by_code))


def test_plain_submissions_read_in_bulk_give_the_same_rows(vcatalog, voptions):
    recs = _submissions(vcatalog, PLAIN) + _submissions(vcatalog, IRREGULAR)
    assert all(batch_mod._plain_numbers(r.payload["values"], frozenset(vcatalog.indicator_by_code))
               for r in recs[:len(PLAIN)])
    bulk = batch_mod._read_values(recs, vcatalog, voptions)
    assert _columns(bulk) == _columns(_one_by_one(recs, vcatalog, voptions))
    assert bulk.raws[0] == "0" and bulk.numbers[0] == 0.0   # repr and float, as value by value
