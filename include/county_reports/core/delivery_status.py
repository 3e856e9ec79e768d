"""The statuses of a document's delivery to the county office, as the ledger stores them.

One place for both sides: ``deliver.office`` decides them, ``warehouse.deliveries`` keeps them
(a module of constants: the office imports it without the warehouse and SQLAlchemy).
"""
from __future__ import annotations

DELIVERED = "delivered"        # the office gave a receipt
SENDING = "sending"            # recorded before anything is sent
FAILED = "failed"              # certainly not stored by the office
UNCONFIRMED = "unconfirmed"    # the office may hold it (the answer was lost): the next call resumes
OPEN = (SENDING, UNCONFIRMED)  # an attempt that may have reached the office without a receipt
