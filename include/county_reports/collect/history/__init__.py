"""A bureau's past years: old Excel workbooks imported into the warehouse (``import-history``).

``settings`` reads ``history.yaml``; ``workbook`` reads a workbook's sheets (bounded) and finds
its layout; ``mapping`` matches labels to the roster and catalogue and keeps the mapping file the
admin confirms; ``check`` puts the cells through validation's rules; ``run`` ties them together
and stores through ``warehouse.history_import`` in one transaction.
"""
