"""The model of messages.yaml: its groups are fixed (a misspelt group is refused), each a mapping
of message key to text; :data:`REQUIRED` lists the keys the code uses (checked by check-config)."""
from __future__ import annotations

from pydantic import create_model

from county_reports.core.config_models.base import ConfigModel

# Keys the code uses, checked by check-config (config_check.py) with their placeholders: a file
# that lost one, or a text with a broken {placeholder}, fails there rather than mid-run.
REQUIRED = {
    "refused": ("not_utf8", "bad_json", "not_object", "wrong_protocol", "missing_field",
                "wrong_field_type", "content_type", "too_large", "huge_number", "duplicate_key",
                "bad_constant", "unexpected", "unreadable_file"),
    "failed": ("http_status", "unauthorized", "timeout", "connection", "no_token", "bad_endpoint",
               "no_credentials", "county_token",
               "internal", "store_error", "store_error_others_stored", "store_refused"),
    "mail_reply": ("subject", "accepted", "accepted_with_warnings", "rejected", "closing", "quarantined"),
    "mail_quarantine": ("unknown_sender", "other_unit", "other_month", "unknown_unit", "not_template",
                        "no_workbook", "corrupt", "two_workbooks", "too_large", "unreadable",
                        "not_email_channel", "not_authenticated", "no_authentication", "bad_signature", "held"),
    "mail_admin": ("quarantine_subject", "quarantine_intro", "quarantine_item"),
    "reminder": ("subject", "body", "how_email", "how_http", "escalation_subject", "escalation_intro",
                 "escalation_item", "state_missing", "state_rejected", "state_failed", "channel_email",
                 "channel_http", "no_email"),
    "statuses": ("accepted", "accepted_with_warnings", "rejected"),
    "outcomes": ("received", "missing", "refused", "failed"),
    "joins": ("list", "clauses", "sentence_end", "none"),
    "dates": ("day", "month", "month_day", "month_day_time"),
    "inbox": ("not_found", "not_a_file", "cannot_open", "empty", "old_format", "not_xlsx", "damaged",
              "damaged_content", "missing_sheet", "missing_sheets", "sheet_names_join", "other_unit",
              "other_month", "meta_missing", "wrong_protocol", "wrong_version", "bad_period",
              "duplicate_code", "missing_headers", "cannot_check", "empty_json", "too_large_file",
              "too_many_parts", "too_large_unzipped", "compression_ratio", "too_many_rows",
              "too_many_cells", "macros", "symlink", "shared_folder"),
    "protocol": ("top_level", "empty_type", "json_position", "too_deep", "expected", "type_text",
                 "type_values", "type_list", "type_object", "narrative_item"),
    "ledger_table": ("period", "unit", "outcome", "attempts", "detail", "totals", "count", "counts_join"),
    "collect": ("batch_label",),
    "mail_words": ("no_attachments", "no_subject", "not_downloaded", "reply_prefix"),
    "approval_words": ("gap", "months_range", "no_answer", "no_reason"),
    "dispatch": ("correction_marker",),
    "corrections": ("change", "no_change", "edited_html", "located_html", "located_markdown", "where",
                    "request_intro", "request_no_change", "corrected_by", "status_replaced", "status_rewritten",
                    "status_ambiguous", "status_not_found", "status_dropped", "status_new_figure"),
    "cli": ("config_error", "config_ok", "warning", "sample_narrative"),
    "status_page": ("indicator_with_uom",),
    "edited_upload": ("not_admin", "csrf", "no_draft", "no_file", "nothing_to_restore", "uploaded", "restored",
                      "rebound"),
}


MessagesFile = create_model(
    "MessagesFile", __base__=ConfigModel,
    __doc__="messages.yaml: message groups (fixed) of texts looked up by key.",
    **{group: (dict[str, str], {}) for group in (*REQUIRED, "history_import")})
