"""Validation: normalise what units sent and check it against the catalogue with Great Expectations."""
