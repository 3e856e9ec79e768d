"""A month's key-project ledger rows and events, checked field by field (issue 19)."""
