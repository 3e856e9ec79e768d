"""Deliver: what leaves the bureau.

The approval gate (``approval``, ``required_actions``, the office's edited draft in
``edited_drafts``), documents to the county office (``dispatch`` → ``office`` over ``channels``,
configured in ``settings``), late corrections (``corrections``), and what goes back to units:
validation feedback (``notify``) and reminders before the deadline (``reminders``).
"""
