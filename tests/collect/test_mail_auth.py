"""mail_auth.py: only our own server's Authentication-Results count, and they must align with From."""
from __future__ import annotations

from county_reports.collect import mail_auth as ma

OURS = "mx.bureau.example"


def _ar(text):
    return ("Authentication-Results", text)


def test_parse_reads_methods_properties_and_skips_comments():
    server, results = ma.parse('MX.Bureau.Example. (our server); dkim=pass (good sig) header.d=Town.example '
                               'header.s="s;1"; spf=fail smtp.mailfrom=x@y; dmarc/1=PASS header.from=town.example')
    assert server == OURS
    assert [(r.method, r.result) for r in results] == [("dkim", "pass"), ("spf", "fail"), ("dmarc", "pass")]
    assert results[0].properties == {"header.d": "town.example", "header.s": "s;1"}
    assert ma.parse("x" * (ma.MAX_HEADER_CHARS + 1)) == ("", [])
    assert ma.parse(None) == ("", [])
    assert ma.parse("   ") == ("", [])


def test_dmarc_pass_from_our_server():
    assert ma.verdict([_ar(f"{OURS}; dmarc=pass header.from=town.example")], "clerk@town.example", OURS) == ma.PASS


def test_dkim_must_be_aligned():
    assert ma.verdict([_ar(f"{OURS}; dkim=pass header.d=mail.town.example")], "a@town.example", OURS) == ma.PASS
    assert ma.verdict([_ar(f"{OURS}; dkim=pass header.d=town.example")], "a@sub.town.example", OURS) == ma.PASS
    assert ma.verdict([_ar(f"{OURS}; dkim=pass header.d=evil.example")], "a@town.example", OURS) == ma.FAIL
    assert ma.verdict([_ar(f"{OURS}; dkim=pass header.d=nottown.example")], "a@town.example", OURS) == ma.FAIL


def test_a_dmarc_fail_wins_over_a_dkim_pass():
    headers = [_ar(f"{OURS}; dkim=pass header.d=town.example; dmarc=fail header.from=town.example")]
    assert ma.verdict(headers, "a@town.example", OURS) == ma.FAIL


def test_results_of_another_server_or_below_our_hop_are_ignored():
    forged_elsewhere = [_ar("mx.other.example; dmarc=pass header.from=town.example")]
    assert ma.verdict(forged_elsewhere, "a@town.example", OURS) == ma.NONE
    below_received = [_ar(f"{OURS}; spf=none"), ("Received", "from a by b"),
                      _ar(f"{OURS}; dmarc=pass header.from=town.example")]
    assert ma.trusted_results(below_received, OURS) == [ma.Result("spf", "none", {})]
    assert ma.verdict(below_received, "a@town.example", OURS) == ma.FAIL
    # a Received line above our first header does not end anything
    above = [("Received", "from x"), _ar(f"{OURS}; dmarc=pass header.from=town.example")]
    assert ma.verdict(above, "a@town.example", OURS) == ma.PASS


def test_no_sender_domain_or_another_from_domain_fails():
    ours = [_ar(f"{OURS}; dmarc=pass header.from=town.example")]
    assert ma.verdict(ours, "nobody", OURS) == ma.FAIL
    assert ma.verdict(ours, "a@other.example", OURS) == ma.FAIL


def test_a_comment_cannot_smuggle_a_result():
    headers = [_ar(f"{OURS}; spf=none (; dmarc=pass header.from=town.example)")]
    assert ma.verdict(headers, "a@town.example", OURS) == ma.FAIL
