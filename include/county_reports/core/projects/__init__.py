"""Key projects (重点项目台账) and the register of events (重要事项).

``vocabulary`` (ledger.yaml: the words and the messages) and ``register`` (projects.yaml: the
projects admins keep, by year) are shared facts like the catalogue: collection (the template's
pre-filled sheet), validation, the warehouse and the composer all read them. ``ledger`` and
``events`` check what a unit sends for a month: pure functions from a payload's optional
``projects`` / ``events`` lists to issues in Chinese.
"""
