"""Notices and their schedule (contract §3), without a broker: covenant year 1 played day by day."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest

from common import covenant
from services.notification import domain
from tests.support import blank_report, company, scored_event, with_steps_1_and_21

YEAR_1 = covenant.YearCalendar(1, date(2020, 12, 31), date(2021, 4, 1))
NOW = datetime(2020, 12, 15, 9, tzinfo=timezone.utc)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 8, tzinfo=timezone.utc)


def play(start, end, companies, outcomes, extensions=None):
    """Every notice the schedule yields from `start` to `end`, one run a day, each key once."""
    sent = {}
    day = start
    while day <= end:
        for notice in domain.scheduled(day, at(day), [YEAR_1], companies, outcomes, extensions or {}, "nl"):
            sent.setdefault(notice.key, (day, notice))
        day += timedelta(days=1)
    return sorted(sent.values(), key=lambda each: (each[0], each[1].key))


def test_obligation_follows_direct_import_and_joining_by_30_june():
    assert covenant.obliged(company(joined_on="2020-06-30"), 1)
    assert not covenant.obliged(company(joined_on="2020-07-01"), 1)
    assert covenant.obliged(company(joined_on="2020-07-01"), 2)
    assert not covenant.obliged(company(imports_directly=False), 1)


def test_needs_more_time_in_the_round_gets_an_extension_to_1_april_and_alerts_the_secretariat():
    late = company(language="nl")
    notices = domain.on_scored(scored_event(blank_report(), late), NOW, None, "nl")
    kinds = {notice.kind: notice for notice in notices}
    assert set(kinds) == {"outcome", "alert_needs_more_time", "extension"}
    assert kinds["extension"].body.endswith("tot en met 1 april 2021 om een rapportage in te dienen die wel voldoet.")
    assert kinds["extension"].key == f"extension:{late['id']}:1:2021-04-01"
    assert kinds["alert_needs_more_time"].recipient_role == "secretariat"
    assert kinds["alert_needs_more_time"].body.endswith(
        "Niet gehaald: minimale due-diligencescore, inzicht in de keten, plan van aanpak, kernvragen."), \
        "the secretariat reads words, never codes"


def test_an_own_extension_replaces_the_catch_up_date():
    late = company(language="en")
    notices = domain.on_scored(scored_event(blank_report(), late), NOW, date(2021, 5, 15), "nl")
    extension = next(notice for notice in notices if notice.kind == "extension")
    assert "until 15 May 2021" in extension.body


def test_needs_more_time_after_the_due_date_gets_no_new_extension():
    notices = domain.on_scored(scored_event(blank_report(), company(), submitted_at="2021-01-15T10:00:00+00:00"),
                               NOW, None, "nl")
    assert {notice.kind for notice in notices} == {"outcome", "alert_needs_more_time"}


def test_a_later_compliant_version_is_announced_from_the_standing_it_replaces_not_from_the_event():
    who = company()
    first = scored_event(blank_report(), who)
    second = scored_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), who, version=2,
                          previous=first["assessment"])
    replaced_needs_more_time = domain.Standing(latest=True, replaced="needs_more_time")
    assert {notice.kind for notice in domain.on_scored(second, NOW, None, "nl", replaced_needs_more_time)} == \
        {"outcome", "now_compliant"}
    assert {notice.kind for notice in domain.on_scored(second, NOW, None, "nl", domain.Standing())} == \
        {"outcome"}, "the event says the version before needed more time; nothing known here did"
    assert {notice.kind for notice in domain.on_scored(second, NOW, None, "nl", domain.Standing(latest=False))} \
        == {"outcome"}, "not the latest: it changes no standing"
    late = domain.on_scored(first, NOW, None, "nl", domain.Standing(latest=False))
    assert {notice.kind for notice in late} == {"outcome", "alert_needs_more_time"}, \
        "an older version needing more time, arriving after a newer one: no extension"


def test_year_1_reminders_and_alert_for_the_company_that_needed_more_time():
    on_time, late, newcomer = (company(joined_on="2019-10-01"), company(joined_on="2019-11-01"),
                               company(joined_on="2020-08-01"))
    outcomes = {(on_time["id"], 1): "compliant", (late["id"], 1): "needs_more_time"}
    sent = play(date(2020, 12, 15), date(2021, 4, 30), [on_time, late, newcomer], outcomes)
    assert [(day, notice.kind, notice.recipient_id) for day, notice in sent] == [
        (date(2021, 3, 2), "reminder", late["id"]),
        (date(2021, 3, 25), "reminder", late["id"]),
        (date(2021, 3, 31), "reminder", late["id"]),
        (date(2021, 4, 2), "alert_missing", None),
    ]
    assert sent[-1][1].about == {"date": "2021-04-01", "company_ids": [late["id"]]}
    assert sent[0][1].body.endswith("De uiterste datum is 1 april 2021: nog 30 dagen.")
    assert sent[-2][1].body.endswith("De uiterste datum is 1 april 2021: morgen.")


def test_a_reminder_says_the_days_left_as_the_companys_page_counts_them():
    newcomer = company(joined_on="2020-06-30", language="en")  # obliged; first heard of in the round
    sent = play(date(2020, 12, 15), date(2020, 12, 15), [newcomer], {})
    assert [notice.about["days_before"] for _, notice in sent] == [30], "the 30-day reminder is the one due"
    shown = domain.year_standing(newcomer, YEAR_1, domain.Known(), date(2020, 12, 15))  # what the page shows
    assert shown["days_left"] == 16
    assert sent[0][1].body.endswith("It is due by 31 December 2020: 16 days from today.")


def test_a_company_without_any_report_is_reminded_before_both_dates_and_named_after_each():
    silent = company(language="en")
    sent = play(date(2020, 11, 1), date(2021, 4, 30), [silent], {})
    assert [(day, notice.kind) for day, notice in sent] == [
        (date(2020, 12, 1), "reminder"), (date(2020, 12, 24), "reminder"), (date(2020, 12, 30), "reminder"),
        (date(2021, 1, 1), "alert_missing"),
        (date(2021, 3, 2), "reminder"), (date(2021, 3, 25), "reminder"), (date(2021, 3, 31), "reminder"),
        (date(2021, 4, 2), "alert_missing"),
    ]


def test_a_service_that_was_down_sends_the_latest_reminder_only_and_a_recent_alert():
    late = company()
    outcomes = {(late["id"], 1): "needs_more_time"}
    assert [notice.kind for notice in domain.scheduled(date(2021, 3, 28), at(date(2021, 3, 28)), [YEAR_1], [late],
                                                       outcomes, {}, "nl")] == ["reminder"]
    assert [notice.key.split(":")[-1] for notice in domain.scheduled(
        date(2021, 3, 28), at(date(2021, 3, 28)), [YEAR_1], [late], outcomes, {}, "nl")] == ["7"]
    alerts = domain.scheduled(date(2021, 4, 6), at(date(2021, 4, 6)), [YEAR_1], [late], outcomes, {}, "nl")
    assert [notice.kind for notice in alerts] == ["alert_missing"]
    assert alerts[0].texts["en"]["subject"] == "Alert: reports for year 1 missing after 1 April 2021: 1 company"
    assert alerts[0].texts["nl"]["subject"] == "Signaal: rapportages over jaar 1 ontbreken na 1 april 2021: 1 bedrijf"
    assert domain.scheduled(date(2021, 5, 1), at(date(2021, 5, 1)), [YEAR_1], [late], outcomes, {}, "nl") == []


def test_an_own_extension_moves_reminders_and_the_alert():
    late = company()
    sent = play(date(2021, 1, 1), date(2021, 6, 30), [late], {(late["id"], 1): "needs_more_time"},
                {(late["id"], 1): date(2021, 5, 15)})
    assert [day for day, _ in sent] == [date(2021, 4, 15), date(2021, 5, 8), date(2021, 5, 14), date(2021, 5, 16)]


@pytest.mark.parametrize("body", [b'{"a": 1}', "{\"naam\": \"Yên Định\"}".encode()])
def test_webhook_signatures_are_hmac_sha256_of_the_exact_body(body):
    import hashlib
    import hmac
    expected = hmac.new(b"s3cret-s3cret-s3cret", body, hashlib.sha256).hexdigest()
    assert domain.signature("s3cret-s3cret-s3cret", body) == f"sha256={expected}"


def test_backoff_doubles():
    assert [domain.backoff(n, 5).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]


@pytest.mark.parametrize("first,own,expected", [
    (None, None, "not_reported"), ("2020-12-31T23:00:00+00:00", None, "on_time"),
    ("2021-02-01T10:00:00+00:00", None, "by_catch_up_date"), ("2021-05-01T10:00:00+00:00", None, "late"),
    ("2021-05-01T10:00:00+00:00", date(2021, 5, 15), "by_own_date")])
def test_an_authority_learns_when_a_supplier_reported_against_its_dates(first, own, expected):
    known = domain.Known(first_submitted_at=datetime.fromisoformat(first), latest_version=1, assessed_version=1,
                         outcome="compliant", score=60.0, own_date=own) if first else domain.Known(own_date=own)
    answer = domain.supplier_years(domain.standing(company(), [YEAR_1], {1: known}, date(2021, 6, 1)))
    assert answer == [{"covenant_year": 1, "reported": expected, "outcome": "compliant" if first else None,
                       "more_time_until": None, "more_time_by": None}]
    early = domain.standing(company(), [YEAR_1], {}, date(2020, 12, 1))
    assert domain.supplier_years(early)[0]["reported"] == "not_yet_due"


def test_an_authority_hears_only_of_years_the_supplier_had_to_report():
    year_2 = covenant.YearCalendar(2, date(2021, 12, 31), date(2022, 4, 1))
    newcomer = company(joined_on="2020-08-01")
    assert [each["covenant_year"] for each in domain.supplier_years(
        domain.standing(newcomer, [YEAR_1, year_2], {}, date(2022, 6, 1)))] == [2]
    assert domain.supplier_years(domain.standing(company(imports_directly=False), [YEAR_1, year_2], {},
                                                 date(2022, 6, 1))) == []


def test_an_authority_reads_the_date_a_supplier_that_needs_more_time_must_deliver_by():
    sent = dict(first_submitted_at=datetime(2020, 12, 20, tzinfo=timezone.utc), latest_version=1,
                assessed_version=1, outcome="needs_more_time", score=15.0)
    catching_up = domain.standing(company(), [YEAR_1], {1: domain.Known(**sent)}, date(2021, 1, 10))
    assert domain.supplier_years(catching_up)[0] == {
        "covenant_year": 1, "reported": "on_time", "outcome": "needs_more_time",
        "more_time_until": "2021-04-01", "more_time_by": "catch_up_date"}
    granted = domain.standing(company(), [YEAR_1], {1: domain.Known(**sent, own_date=date(2021, 5, 15))},
                              date(2021, 1, 10))
    assert domain.supplier_years(granted)[0]["more_time_until"] == "2021-05-15"
    assert domain.supplier_years(granted)[0]["more_time_by"] == "own_date"


def test_the_first_year_a_member_must_report_for():
    assert domain.first_year_to_report(company(joined_on="2019-05-01")) == 1  # signed before the covenant began
    assert domain.first_year_to_report(company(joined_on="2020-06-30")) == 1
    assert domain.first_year_to_report(company(joined_on="2020-07-01")) == 2  # after year 1's third quarter
    assert domain.first_year_to_report(company(imports_directly=False)) is None  # a processor: never


def standing(today, **known):
    return domain.year_standing(company(joined_on="2019-10-01"), YEAR_1, domain.Known(**known), today)


def test_where_a_year_stands_follows_the_covenants_dates():
    due = standing(date(2020, 12, 1))
    assert (due["status"], due["deadline"], due["deadline_kind"], due["days_left"]) == \
        ("due", "2020-12-31", "due_date", 30)
    missing = standing(date(2021, 4, 2))
    assert (missing["status"], missing["deadline_kind"], missing["days_left"]) == ("missing", "catch_up_date", -1)
    after_due = standing(date(2021, 1, 5))
    assert (after_due["status"], after_due["deadline"]) == ("due", "2021-04-01")
    received = standing(date(2020, 12, 1), latest_version=2, assessed_version=1, outcome="compliant", score=50.0)
    assert (received["status"], received["deadline_kind"]) == ("received", "catch_up_date")
    late = standing(date(2020, 12, 1), latest_version=1, assessed_version=1, outcome="needs_more_time", score=10.0,
                    own_date=date(2021, 5, 15))
    assert (late["status"], late["deadline"], late["deadline_kind"], late["score"]) == \
        ("needs_more_time", "2021-05-15", "own_date", 10.0)
    newcomer = domain.year_standing(company(joined_on="2020-08-01"), YEAR_1, domain.Known(), date(2020, 12, 1))
    assert (newcomer["obliged"], newcomer["status"]) == (False, "not_obliged")


def test_a_version_assessed_before_its_receipt_is_heard_of_counts_as_received():
    scored_first = standing(date(2020, 12, 1), assessed_version=1, outcome="compliant", score=60.0)
    assert (scored_first["status"], scored_first["latest_version"]) == ("compliant", 1)


def test_a_standing_names_the_days_to_come_that_change_it():
    first, member = datetime(2020, 11, 2, 10, tzinfo=timezone.utc), company()
    told = domain.standing(member, [YEAR_1], {1: domain.Known(first_submitted_at=first, latest_version=1,
                                                                 assessed_version=1, outcome="needs_more_time",
                                                                 score=10.0)}, date(2020, 12, 1))
    assert told["member"] == {key: member[key] for key in ("id", "name", "country", "role", "imports_directly",
                                                             "joined_on")}
    assert told["years"][0]["reported_on"] == "2020-11-02" and told["years"][0]["reported"] == "on_time"
    assert told["upcoming"] == ["2021-04-01"], "its catch-up date, once it has reported"
    compliant = domain.standing(company(), [YEAR_1], {1: domain.Known(first_submitted_at=first, latest_version=1,
                                                                      assessed_version=1, outcome="compliant")},
                                date(2020, 12, 1))
    assert compliant["upcoming"] == []


def test_the_commission_and_the_company_hear_of_a_case_in_their_words():
    received = {"number": "K-2021-0001", "kind": "complaint", "language": "en", "covenant_year": 2,
                "acknowledgement": True, "deadline": "2021-03-20"}
    alert = domain.case_received(received, NOW, "nl")
    acknowledgement = domain.case_acknowledged(received, NOW, "worker@example.org")
    assert (alert.recipient_role, alert.subject) == ("commission", "Nieuwe zaak K-2021-0001: klacht over een lid "
                                                                    "of zijn keten")
    assert "20 maart 2021" in alert.body
    assert (acknowledgement.recipient_role, acknowledgement.about["email"]) == ("complainant", "worker@example.org")
    moved = {"number": "K-2021-0001", "kind": "complaint", "covenant_year": 2, "to_state": "admissibility_decided",
             "admissible": True, "company_asked": True, "decision": None}
    who = company(language="en")
    admissible = domain.case_moved(moved, who, NOW)[0]
    assert admissible.body.endswith("You are asked to answer the case: read what it is about in the portal.")
    assert domain.case_moved({**moved, "admissible": False}, who, NOW) == []


@pytest.mark.parametrize("language,subject", [
    ("nl", "Nieuwe naam van een groevegebied: Kotah (Rajasthan, India)"),
    ("en", "New name of a quarry region: Kotah (Rajasthan, India)")])
def test_the_secretariat_hears_of_a_new_region_name_in_words_once_per_name(language, subject):
    reported = {"country": "IN", "state": "IN-RJ", "region": "Kotah", "covenant_year": 1}
    notice = domain.unknown_region(reported, NOW, language)
    assert notice.subject == subject and notice.recipient_role == "secretariat"
    assert "IN-RJ" not in notice.body
    assert domain.unknown_region({**reported, "region": "kotah district"}, NOW, language).key == notice.key
    assert domain.unknown_region({**reported, "state": None}, NOW, language).subject.endswith("(India)")


@pytest.mark.parametrize("language,subject", [
    ("nl", "Onbekende naam van een provincie of deelstaat: Rajastan (India)"),
    ("en", "Unknown name of a province or state: Rajastan (India)")])
def test_the_secretariat_hears_of_a_state_nobody_knows_in_words_once_per_spelling(language, subject):
    reported = {"country": "IN", "state": "Rajastan", "region": "Kota", "covenant_year": 1}
    notice = domain.unknown_state(reported, NOW, language)
    assert notice.subject == subject and notice.recipient_role == "secretariat" and "‘Kota’" in notice.body
    assert domain.unknown_state({**reported, "state": "rajastan ", "region": "Bundi"}, NOW, language).key == notice.key
    assert "Nederland" in domain.unknown_state({**reported, "country": "NL"}, NOW, "nl").subject


# --- webhook targets: a company cannot aim the platform inward ---------------------------------------

PUBLIC = "93.184.215.14"


@pytest.mark.parametrize("url", [
    "http://hooks.example.com/trustone",                      # plain http
    "ftp://hooks.example.com/", "file:///etc/passwd", "gopher://hooks.example.com/",
    "https://user:pass@hooks.example.com/",                   # credentials
    "https://127.0.0.1/", "https://127.1.2.3:8443/", "https://0.0.0.0/", "https://10.0.0.5/",
    "https://172.16.3.4/", "https://192.168.1.1/", "https://169.254.169.254/latest/meta-data/",
    "https://100.64.0.1/", "https://224.0.0.1/", "https://240.0.0.1/", "https://255.255.255.255/",
    "https://192.0.2.1/", "https://198.51.100.7/",
    "https://[::1]:8080/", "https://[::]/", "https://[fe80::1]/", "https://[fc00::1]/", "https://[fd12:3456::1]/",
    "https://[ff02::1]/", "https://[::ffff:127.0.0.1]/", "https://[::ffff:169.254.169.254]/",
    "https://[::127.0.0.1]/", "https://[2002:7f00:1::]/", "https://[2002:a9fe:a9fe::1]/",
    "https://[64:ff9b::7f00:1]/", "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    "https://0x7f000001/", "https://2130706433/", "https://017700000001/", "https://127.1/",
    "https://0177.0.0.1/", "https://0x7f.0.0.1/", "https://127.0.0.1./", "https://1.2.3.4.5/",
    "https://hooks.example.com:0/", "https://hooks.example.com:99999/", "https:///no-host",
])
def test_a_webhook_cannot_aim_inward_or_in_the_clear(url):
    with pytest.raises(domain.RefusedTarget):
        domain.webhook_target(url)


@pytest.mark.parametrize("url,host_header,path", [
    ("https://hooks.example.com/trustone?x=1", "hooks.example.com", "/trustone?x=1"),
    ("https://hooks.example.com:8443", "hooks.example.com:8443", "/"),
    (f"https://{PUBLIC}/hook", PUBLIC, "/hook"),
    ("https://[2606:4700:4700::1111]:444/h", "[2606:4700:4700::1111]:444", "/h"),
])
def test_a_public_https_webhook_is_taken_with_its_host_named(url, host_header, path):
    target = domain.webhook_target(url)
    assert (target.host_header, target.path, target.trusted) == (host_header, path, False)


@pytest.mark.parametrize("addresses", [
    ["127.0.0.1"], [PUBLIC, "10.1.2.3"], ["::1"], ["::ffff:10.0.0.1"], ["169.254.169.254"], []])
def test_a_name_is_refused_when_any_address_it_resolves_to_is_not_public(addresses):
    with pytest.raises(domain.RefusedTarget):
        domain.check_addresses(addresses)
    domain.check_addresses([PUBLIC, "2606:4700:4700::1111"])  # all public: taken


def test_an_operator_trusted_host_may_take_plain_http_at_any_address():
    target = domain.webhook_target("http://127.0.0.1:8765/hook", frozenset({"127.0.0.1"}))
    assert (target.scheme, target.host_header, target.trusted) == ("http", "127.0.0.1:8765", True)
    with pytest.raises(domain.RefusedTarget, match="https"):
        domain.webhook_target("http://localhost:8765/hook", frozenset({"127.0.0.1"}))


def test_a_score_is_written_as_each_reader_writes_numbers():
    scored = scored_event(with_steps_1_and_21(blank_report()), company(language="nl"))
    scored["assessment"]["score"] = 27.8
    notices = {notice.kind: notice for notice in domain.on_scored(scored, NOW, None, "en")}
    assert "scoort 27,8 %" in notices["outcome"].body  # the company reads Dutch
    assert "scores 27.8 %" in notices["alert_needs_more_time"].body  # the secretariat here reads English
    assert "scores 27.8 %" in notices["outcome"].texts["en"]["body"], "written in English too, for an English page"
    assert "Niet gehaald: plan van aanpak." in notices["alert_needs_more_time"].texts["nl"]["body"]


def test_a_notice_is_read_in_the_language_asked_and_else_in_its_recipients():
    notice = domain.on_scored(scored_event(blank_report(), company(language="nl")), NOW, None, "nl")[0]
    stored = notice.to_document()
    assert domain.shown(stored)["language"] == "nl" and "heeft meer tijd nodig" in domain.shown(stored)["body"]
    in_english = domain.shown(stored, "en")
    assert in_english["language"] == "en" and "needs more time" in in_english["body"]
    assert in_english["subject"] == notice.texts["en"]["subject"] != notice.subject
    older = {name: value for name, value in stored.items() if name != "texts"}  # stored before texts were kept
    assert domain.shown(older, "en")["language"] == "nl" and domain.shown(older, "en")["body"] == notice.body


def test_an_e_mail_s_message_id_follows_rfc_5322_and_is_one_per_notice():
    from email import policy
    from email.parser import BytesParser

    from services.notification.domain import message_id
    keys = ["unknown_region:IN:IN-RJ:kalkberg hill 2", "unknown_region:IN:IN-RJ:kalkberg hill 3",
            "unknown_region:IN:IN-RJ:kalkberg  hill 2", "unknown_state:VN:thanh hóa", "receipt:r-1:1",
            "outcome:r-1:1:1", "outcome:r-1:1:1:c1", "alert_missing:1:2021-04-01"]
    ids = [message_id(key, "TruStone <noreply@trustone.example>") for key in keys]
    assert len(set(ids)) == len(keys), "every notice its own id"
    assert ids == [message_id(key, "noreply@trustone.example") for key in keys], "the same id on every send"
    for each in ids:
        # RFC 5322 msg-id: "<" dot-atom-text "@" dot-atom-text ">"
        assert re.fullmatch(r"<[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                            r"@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+>", each), each
        parsed = BytesParser(policy=policy.strict).parsebytes(f"Message-ID: {each}\n\nbody".encode())
        assert str(parsed["Message-ID"]) == each and not parsed["Message-ID"].defects
    assert message_id("receipt:r-1:1", "not an address").endswith("@trustone.invalid>")


def test_an_outcome_that_needs_more_time_says_what_to_improve_and_a_compliant_one_says_nothing_more():
    who = company(language="nl")
    outcome = next(each for each in domain.on_scored(scored_event(blank_report(), who), NOW, None, "nl")
                   if each.kind == "outcome")
    assert outcome.body.endswith("Om aan de eisen te voldoen, verbetert u: minimale due-diligencescore, inzicht in "
                                 "de keten, plan van aanpak, kernvragen. De beoordeling in het portaal zegt bij elk "
                                 "waarom."), outcome.body
    compliant = scored_event(with_steps_1_and_21(blank_report(production_countries=["PT"])), who)
    done = next(each for each in domain.on_scored(compliant, NOW, None, "nl") if each.kind == "outcome")
    assert done.body.endswith("uw onderneming voldoet aan de eisen."), done.body
