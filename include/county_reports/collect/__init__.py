"""Collect: the units' bytes in.

HTTP pulls (``pulls``, ``fetch``, ``protocol``; a city pulling its counties: ``county_pull``), the
Excel inbox and its template (``inbox``, ``template``…), templates by e-mail (``mailbox``,
``mail_auth``, ``mail_message``, ``mail_notices``), old workbooks (``history``), and the
collection ledger. Nothing here judges a value: that is ``validate``.
"""
