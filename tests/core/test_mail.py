"""mail.yaml: loaded and checked, errors naming the file and the key; outgoing messages thread."""
from __future__ import annotations

import shutil

import pytest
import yaml

from county_reports.core import admins, mail, paths
from county_reports.core.config import ConfigError


def test_shipped_mail_settings():
    cfg = mail.load_settings()
    assert cfg.imap_conn_id == "bureau_mailbox" and cfg.processed_keyword == "$CountyReports"
    assert cfg.sender_address == "jtj@qinghe.example" and cfg.days_before >= 0
    # the admins are those of admins.yaml, the one list every alert uses
    assert list(cfg.admins) == admins.load_settings().addresses == ["jtj-office@qinghe.example"]


@pytest.mark.parametrize("edit, key, problem", [
    (lambda d: d["mailbox"].update(processed_keyword="two words"), "mailbox.processed_keyword", "not an IMAP keyword"),
    (lambda d: d["smtp"].update({"from": "清河县交通运输局"}), "smtp.from", "has no e-mail address"),
    (lambda d: d.update(admins=["bgs@qinghe.example"]), "admins", "are in admins.yaml"),
    (lambda d: d["reminders"].update(days_before=-1), "reminders.days_before", "0 or more"),
    (lambda d: d["circular"].update(lookback_months=0), "circular.lookback_months", "at least 1"),
    (lambda d: d["mailbox"].update(authserv_id="mx qinghe; dmarc=pass"), "mailbox.authserv_id", "not a mail server's name"),
    (lambda d: d["mailbox"].update(require_authentication_results="no"), "mailbox.require_authentication_results",
     "expected true/false"),
    (lambda d: d["mailbox"].update(timeout_seconds=0), "mailbox.timeout_seconds", "at least 1"),
    (lambda d: d["smtp"].update(timeout_seconds=-5), "smtp.timeout_seconds", "at least 1"),
    (lambda d: d["mailbox"].update(require_authentification_results=False),
     "mailbox.require_authentification_results", "unknown key"),           # a typo never falls back
    (lambda d: d["mailbox"].pop("template_key_conn_id"), "mailbox.template_key_conn_id", "missing"),
])
def test_broken_mail_settings_name_file_and_key(tmp_path, edit, key, problem):
    config = tmp_path / "config"
    shutil.copytree(paths.config_dir(), config)
    data = yaml.safe_load((config / "mail.yaml").read_text(encoding="utf-8"))
    edit(data)
    (config / "mail.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        mail.load_settings(config)
    assert (err.value.file, err.value.key) == ("mail.yaml", key) and problem in err.value.problem


def test_a_reply_carries_the_thread():
    msg = mail.message(mail.load_settings(), ["ts03@qinghe.example"], "回复：6月报表", "正文",
                       in_reply_to="<b@x>", references="<a@x>")
    assert msg["In-Reply-To"] == "<b@x>" and msg["References"] == "<a@x> <b@x>"
    assert msg["Message-ID"].endswith("@qinghe.example>") and msg.get_content().strip() == "正文"


def test_security_and_time_limit_settings_are_read():
    cfg = mail.load_settings()
    assert cfg.authserv_id == "mx.qinghe.example" and cfg.require_authentication_results is True
    assert cfg.template_key_conn_id == "county_reports_template_key"
    assert cfg.imap_timeout_seconds > 0 and cfg.smtp_timeout_seconds > 0
    assert mail.task_timeout(cfg).total_seconds() == cfg.task_timeout_minutes * 60


def test_header_text_we_reuse_is_put_on_one_line():
    msg = mail.message(mail.load_settings(), ["ts10@qinghe.example"], "6月报表\r\nBcc: evil@example.com", "正文",
                       in_reply_to="<a@x>\r\nX-Evil: 1", references="<r@x>\nBcc: evil@example.com")
    assert msg["Subject"] == "6月报表 Bcc: evil@example.com" and msg["Bcc"] is None and msg["X-Evil"] is None
    assert "\n" not in msg["References"] and "\r" not in msg["In-Reply-To"]


def test_bcc_recipients_are_not_in_the_visible_headers():
    msg = mail.message(mail.load_settings(), ["jtj-office@qinghe.example"], "通报", "正文",
                       bcc=["ts01@qinghe.example", "ts02@qinghe.example"])
    assert msg["To"] == "jtj-office@qinghe.example" and "ts01@qinghe.example" in msg["Bcc"]
