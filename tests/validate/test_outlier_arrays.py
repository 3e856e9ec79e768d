"""validate/outlier_arrays.py: the outlier checks' array plumbing, against plain pandas/numpy."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from county_reports.validate import outlier_arrays as arrays


def test_codes_read_a_categorical_as_it_is_and_factorize_the_rest():
    codes, uniques = arrays.codes(pd.Series(["b", "a", "b"], dtype="category"))
    assert [uniques[c] for c in codes] == ["b", "a", "b"]
    codes, uniques = arrays.codes(pd.Series(["x", "y", "x"]))
    assert list(codes) == [0, 1, 0] and uniques == ["x", "y"]


def test_row_medians_ignore_nan_like_nanmedian():
    a = np.array([[1.0, np.nan, 3.0, 10.0], [np.nan, np.nan, np.nan, np.nan], [5.0, 1.0, np.nan, np.nan]])
    got = arrays.median(a)
    assert got[0] == 3.0 and np.isnan(got[1]) and got[2] == 3.0


def test_group_median_needs_enough_rows_in_the_group():
    a = np.array([[1.0], [3.0], [100.0], [7.0]])
    got = arrays.group_median(a, np.array([0, 0, 1, 0]), least=2)
    assert got[0, 0] == 3.0 and got[3, 0] == 3.0 and np.isnan(got[2, 0])    # group 1 has one row


def test_gather_puts_history_in_its_month_and_refuses_a_frame_without_its_columns():
    history = pd.DataFrame({"unit": ["U1", "U1", "U2"], "period": ["2025-01", "2025-02", "2025-02"],
                            "indicator": ["A", "A", "A"], "value": [1.0, 2.0, 9.0]})
    h = arrays.gather(np.array([0, 1]), ["U1", "U2"], np.array([0, 0]), ["A"], history,
                      ["2025-01", "2025-02"], np.array([3.0, 4.0]))
    assert h[0].tolist() == [1.0, 2.0] and np.isnan(h[1, 0]) and h[1, 1] == 9.0
    with pytest.raises(ValueError, match="history lacks"):
        arrays.gather(np.array([0]), ["U1"], np.array([0]), ["A"], history.drop(columns="value"),
                      ["2025-01"], np.array([1.0]))


def test_positions_of_absent_values_are_minus_one():
    index = pd.Index(["a", "b"], dtype=object)
    assert arrays.positions(index, pd.Series(["b", "z", "a"])).tolist() == [1, -1, 0]
    assert arrays.positions(index, pd.Series(["b", "z"], dtype="category")).tolist() == [1, -1]


def test_the_log_scale_sees_a_tenth_as_far_as_ten_times():
    c = arrays.log_offset(np.array([[100.0, 100.0]]), np.array([100.0]), np.array([0]), np.array([100.0]))
    assert c[0] == pytest.approx(2.0)                   # OFFSET_SHARE of the typical size
    base = arrays.log_scale(np.array([100.0]), c)
    up, down = arrays.log_scale(np.array([1000.0]), c) - base, base - arrays.log_scale(np.array([10.0]), c)
    assert up[0] == pytest.approx(down[0], rel=0.1)
