"""The notification service's use cases with in-memory ports: each notice once, deliveries claimed."""
from datetime import date, datetime, timezone

import pytest

from common import errors
from common.events import typed
from common.identity import Caller
from services.notification import usecases
from services.notification.dependencies import NoticeStore
from tests.support import blank_report, company, scored_event, submitted_event, with_steps_1_and_21
from tests.support import FakeChannels, FakeScoring, SettableClock, in_memory, payload


def handed(event_type: str, use_case, part: str | None = None):
    """`use_case` called as its handler calls it: with the typed payload of the event's data (or its `part`)."""
    def called(data, *args, **kwargs):
        typed = payload(event_type, {part: data} if part else data)
        return use_case(getattr(typed, part) if part else typed, *args, **kwargs)
    return called


remember_company = handed("company_registered", usecases.remember_company, "company")
confirm_receipt = handed("report_submitted", usecases.confirm_receipt)
announce_outcome = handed("report_scored", usecases.announce_outcome)
announce_sample = handed("verification_sample_drawn", usecases.announce_sample)
on_case_received = handed("case_received", usecases.on_case_received)
on_token_replaced = handed("member_token_replaced", usecases.on_token_replaced)
on_commission_member_registered = handed("commission_member_registered", usecases.on_commission_member_registered)


@pytest.fixture
def ports():
    return {"store": in_memory(NoticeStore), "channels": FakeChannels(),
            "clock": SettableClock("2020-12-15T10:00:00")}


def test_a_receipt_is_planned_and_mailed_once_however_often_its_cause_arrives(ports):
    who = company()
    submitted = submitted_event(blank_report(), who)
    sent = [confirm_receipt(submitted, **ports) for _ in range(3)]
    assert [each.notices for each in sent] == [["receipt"], [], []]
    assert ports["channels"].mailed == [(f"receipt:r-1:1", who["email"])]


def test_an_outcome_that_needs_more_time_brings_an_extension_and_an_alert_in_words(ports):
    who = company(language="en")
    sent = announce_outcome(scored_event(blank_report(), who), secretariat_language="nl", **ports)
    assert sorted(sent.notices) == ["alert_needs_more_time", "extension", "outcome"]
    alert = ports["store"].inbox("secretariat", None, 0, 10)[0][0]
    assert "Niet gehaald: minimale due-diligencescore" in alert["body"]


def test_a_failed_delivery_is_retried_then_given_up_after_the_policy_s_attempts(ports):
    ports["channels"].failing.add("email")
    confirm_receipt(submitted_event(blank_report(), company()), **ports)
    results = [usecases.retry_deliveries(store=ports["store"], channels=ports["channels"]).deliveries
               for _ in range(3)]
    assert results == [[("email", "pending")], [("email", "failed")], []]
    notice = ports["store"].inbox("company", ports["store"].all_companies()[0]["_id"], 0, 1)[0][0]
    assert notice["deliveries"]["email"]["state"] == "failed"



def test_the_retry_rounds_read_only_notices_with_deliveries_still_to_make(ports):
    store = ports["store"]
    ports["channels"].failing.add("email")
    confirm_receipt(submitted_event(blank_report(), company()), **ports)
    confirm_receipt(submitted_event(blank_report(), company(), report_id="r-2"), **ports)
    assert len(store.with_undelivered()) == 2, "both mails failed once: both wait for a retry"
    ports["channels"].failing.clear()
    usecases.retry_deliveries(store=store, channels=ports["channels"])
    assert store.with_undelivered() == [], "delivered: no retry round reads them again"
    # A notice stored before the rounds looked for `delivering` is flagged when the service starts.
    store.notices.update_one({"_id": "receipt:r-2:1"}, {"$set": {
        "undelivered": ["email"], "deliveries.email.state": "pending",
        "deliveries.email.next_attempt_at": datetime(2020, 12, 1, tzinfo=timezone.utc)}})
    store.ensure_indexes()
    assert [notice["_id"] for notice in store.with_undelivered()] == ["receipt:r-2:1"]
    assert usecases.retry_deliveries(store=store, channels=ports["channels"]).deliveries == [("email", "delivered")]
    # A process that stopped between settling the last delivery and leaving the rounds: the next round ends it.
    store.notices.update_one({"_id": "receipt:r-1:1"}, {"$set": {"delivering": True}})
    assert usecases.retry_deliveries(store=store, channels=ports["channels"]).deliveries == []
    assert store.with_undelivered() == []


def test_reminders_run_twice_on_a_day_send_once(ports):
    ports["store"].register_company(company(joined_on="2019-10-01"))
    ports["clock"].set("2020-12-30T06:00:00")
    first = usecases.send_reminders(scoring=FakeScoring(), secretariat_language="nl", **ports)
    again = usecases.send_reminders(scoring=FakeScoring(), secretariat_language="nl", **ports)
    assert first.notices == ["reminder"] and again.notices == []


def test_an_authority_asks_about_a_supplier_which_is_told_and_sees_who_asked(ports):
    from common.identity import Caller
    supplier = {**company(joined_on="2019-10-01"), "name": "Graniet Import B.V."}
    ports["store"].register_company(supplier)
    ports["store"].register_company({**company(), "name": "Graniet Export B.V."})
    ports["store"].register_authority({"id": "a-1", "name": "Gemeente Leiden", "country": "NL",
                                       "joined_on": "2020-03-01"})
    confirm_receipt(submitted_event(blank_report(), supplier, submitted_at="2020-12-20T10:00:00+00:00"),
                             **ports)
    announce_outcome(scored_event(blank_report(), supplier), secretariat_language="nl", **ports)
    ports["clock"].set("2021-06-01T10:00:00")
    leiden = Caller("authority", "a-1")
    asked = dict(store=ports["store"], channels=ports["channels"], clock=ports["clock"], scoring=FakeScoring())
    answer, sent = usecases.ask_about_supplier(leiden, {"name": "graniet import b.v."}, **asked)
    assert answer["answer"] == {
        "member": True, "id": supplier["id"], "name": "Graniet Import B.V.", "imports_directly": True,
        "first_year": 1, "years": [
            {"covenant_year": 1, "reported": "on_time", "outcome": "needs_more_time",
             "more_time_until": "2021-04-01", "more_time_by": "catch_up_date"},  # the date it must deliver by
            {"covenant_year": 2, "reported": "not_yet_due", "outcome": None, "more_time_until": None,
             "more_time_by": None}]}
    assert "score" not in str(answer), "never the score"
    assert sent.notices == ["supplier_question"]
    notice = ports["store"].inbox("company", supplier["id"], 0, 1)[0][0]
    assert notice["subject"] == "Gemeente Leiden vroeg naar uw rapportage"
    with pytest.raises(errors.Invalid):
        usecases.ask_about_supplier(leiden, {"name": "Graniet"}, **asked)  # two members match
    nobody, sent = usecases.ask_about_supplier(leiden, {"name": "Basalt Nergens"}, **asked)
    assert nobody["answer"] == {"member": False} and sent.notices == []
    assert len(usecases.questions(leiden, store=ports["store"])) == 2
    about = usecases.questions(Caller("company", supplier["id"]), store=ports["store"])
    assert [each["authority"]["name"] for each in about] == ["Gemeente Leiden"] and "asked" not in about[0]
    assert len(usecases.questions(Caller("secretariat"), store=ports["store"])) == 2


def test_each_company_drawn_for_verification_is_told_once(ports):
    sampled = [{"report_id": f"r-{number}", "version": 1, "company": company()} for number in range(3)]
    drawn = {"covenant_year": 1, "seed": "s", "population": 26, "drawn_at": "2021-03-01T10:00:00+00:00",
             "sampled": sampled}
    assert announce_sample(drawn, **ports).notices == ["report_sampled"] * 3
    assert announce_sample(drawn, **ports).notices == []


class Complaints:
    """Complaints' RPC as notification calls it: the address a case's filer gave; `asked` records the calls;
    `down` makes it not answer."""

    def __init__(self, addresses: dict[str, str]):
        self.addresses, self.asked, self.down = addresses, [], False

    def acknowledgement_address(self, number):
        if self.down:
            raise errors.Unavailable("The complaints service does not answer.")
        self.asked.append(number)
        return self.addresses.get(number)


RECEIVED = {"number": "K-2021-0001", "kind": "complaint", "language": "en", "covenant_year": 2,
            "filed_at": "2021-03-15T10:00:00+00:00", "company_id": None, "deadline": "2021-03-22",
            "acknowledgement": True}


def test_complaints_not_answering_holds_up_the_acknowledgement_only_and_a_replay_asks_nothing(ports):
    complaints = Complaints({"K-2021-0001": "worker@example.org"})
    complaints.down = True
    with pytest.raises(errors.Unavailable):  # the event is handled again later
        on_case_received(RECEIVED, commission_language="nl", complaints=complaints, **ports)
    assert [each["kind"] for each in ports["store"].inbox("commission", None, 0, 10)[0]] == ["case_received"]
    complaints.down = False
    again = on_case_received(RECEIVED, commission_language="nl", complaints=complaints, **ports)
    assert again.notices == ["case_acknowledged"]
    assert [to for key, to in ports["channels"].mailed if key.startswith("case_acknowledged")] == ["worker@example.org"]
    restored = {**RECEIVED, "number": "K-2021-0002"}
    assert on_case_received(restored, commission_language="nl", complaints=complaints, replayed=True,
                                     **ports).notices == ["case_received", "case_acknowledged"]
    assert complaints.asked == ["K-2021-0001"], "a replay asks for no address: its notice is never sent"
    old = {**RECEIVED, "number": "K-2021-0003", "contact_email": "old@example.org"}  # a v1 event, upcast
    on_case_received(old, commission_language="nl", complaints=complaints, **ports)
    assert complaints.asked == ["K-2021-0001"] and ("case_acknowledged:K-2021-0003", "old@example.org") in \
        ports["channels"].mailed


@pytest.mark.parametrize("email_enabled", [True, False])
def test_a_complainants_address_is_kept_only_until_its_acknowledgement_is_sent(ports, email_enabled):
    ports["channels"].email_enabled = email_enabled
    ports["channels"].failing.add("email")
    received = {"number": "K-2021-0001", "kind": "complaint", "language": "en", "covenant_year": 2,
                "filed_at": "2021-03-15T10:00:00+00:00", "company_id": None, "deadline": "2021-03-22",
                "acknowledgement": True}
    complaints = Complaints({"K-2021-0001": "worker@example.org"})
    on_case_received(received, commission_language="nl", complaints=complaints, **ports)
    assert complaints.asked == ["K-2021-0001"]
    on_case_received(received, commission_language="nl", complaints=complaints, **ports)
    assert complaints.asked == ["K-2021-0001"], "redelivered: the address is not asked for again"
    stored = ports["store"].notices.find_one({"_id": "case_acknowledged:K-2021-0001"})
    assert ("worker@example.org" in str(stored)) == email_enabled, "kept while the server is down, to retry"
    ports["channels"].failing.clear()
    usecases.retry_deliveries(store=ports["store"], channels=ports["channels"])
    stored = ports["store"].notices.find_one({"_id": "case_acknowledged:K-2021-0001"})
    assert "worker@example.org" not in str(stored)
    acknowledged = [to for key, to in ports["channels"].mailed if key.startswith("case_acknowledged")]
    assert acknowledged == (["worker@example.org"] if email_enabled else [])


def test_notices_restored_by_a_replay_reach_the_inbox_and_are_not_sent_again(ports):
    who = company(language="en")
    submitted = submitted_event(blank_report(), who)
    receipt = confirm_receipt(submitted, replayed=True, **ports)
    outcome = announce_outcome(scored_event(blank_report(), who), secretariat_language="nl",
                                        replayed=True, **ports)
    assert receipt.notices == ["receipt"] and "outcome" in outcome.notices
    assert ports["channels"].mailed == []
    inbox = ports["store"].inbox("company", who["id"], 0, 10)[0]
    assert {each["kind"] for each in inbox} >= {"receipt", "outcome"}
    assert all(each["deliveries"]["email"]["error"] == "restored by a replay: not sent again" for each in inbox)
    assert confirm_receipt(submitted, **ports).notices == [], "a later delivery of it is a duplicate"
    assert ports["channels"].mailed == []


# --- notices that say the company's standing changed, whatever order its assessments come in ----------

def scored_versions(who, outcomes: dict[int, str]) -> dict[int, dict]:
    """report_scored data of each version, needing more time or compliant as `outcomes` says."""
    compliant = with_steps_1_and_21(blank_report(plan_of_approach=True))
    return {version: scored_event(compliant if outcome == "compliant" else blank_report(), who, version=version)
            for version, outcome in outcomes.items()}


def changes(ports, who) -> list[str]:
    return sorted(each["_id"] for each in ports["store"].inbox("company", who["id"], 0, 100)[0]
                  if each["kind"] in ("now_compliant", "extension"))


@pytest.mark.parametrize("order", [(1, 2, 3), (1, 3, 2), (2, 1, 3), (3, 2, 1), (2, 3, 1)])
def test_now_compliant_and_extension_follow_the_latest_version_known_in_any_order(ports, order):
    who = company()
    scored = scored_versions(who, {1: "needs_more_time", 2: "compliant", 3: "needs_more_time"})
    for version in order:
        announce_outcome(scored[version], secretariat_language="nl", **ports)
    found = changes(ports, who)
    # every notice names a version that was the latest known when it came, and what it replaced
    # version 1 arriving after version 2 is just before it: version 2's turn to compliant is decided then
    expected = {(1, 2, 3): ["extension:" + who["id"] + ":1:2021-04-01", "now_compliant:r-1:2:1"],
                (1, 3, 2): ["extension:" + who["id"] + ":1:2021-04-01"],
                (2, 1, 3): ["extension:" + who["id"] + ":1:2021-04-01", "now_compliant:r-1:2:1"],
                (3, 2, 1): ["extension:" + who["id"] + ":1:2021-04-01"],
                (2, 3, 1): ["extension:" + who["id"] + ":1:2021-04-01"]}[order]
    assert found == expected
    assert ports["store"].outcomes() == {(who["id"], 1): "needs_more_time"}, "the latest version stands"


def test_a_redelivery_decides_as_the_first_handling_did_also_when_that_one_stopped_halfway(ports):
    who = company()
    scored = scored_versions(who, {1: "needs_more_time", 2: "compliant"})
    announce_outcome(scored[1], secretariat_language="nl", **ports)
    ports["store"].record_standing(scored[2])  # then the process died
    announce_outcome(scored[2], secretariat_language="nl", **ports)
    announce_outcome(scored[2], secretariat_language="nl", **ports)
    assert "now_compliant:r-1:2:1" in changes(ports, who)
    assert [each for each in changes(ports, who) if each.startswith("now_compliant")] == ["now_compliant:r-1:2:1"]


def test_a_rebuild_handling_versions_in_parallel_restores_the_same_change_notices_whatever_their_order(ports):
    who = company()
    scored = scored_versions(who, {1: "needs_more_time", 2: "compliant"})
    for order in ((1, 2), (2, 1)):
        rebuilt = {**ports, "store": in_memory(NoticeStore)}
        for version in order:
            announce_outcome(scored[version], secretariat_language="nl", replayed=True, **rebuilt)
        assert changes(rebuilt, who) == ["extension:" + who["id"] + ":1:2021-04-01", "now_compliant:r-1:2:1"] \
            if order == (1, 2) else ["now_compliant:r-1:2:1"], order


def test_a_correction_of_a_version_that_is_no_longer_the_latest_changes_no_standing(ports):
    who = company()
    scored = scored_versions(who, {1: "needs_more_time", 2: "needs_more_time"})
    for version in (1, 2):
        announce_outcome(scored[version], secretariat_language="nl", **ports)
    corrected = scored_versions(who, {1: "compliant"})[1]
    corrected["ordinal"] = {"report_version": 1, "framework_version": 1, "correction": 1}  # version 1, corrected on appeal after version 2 came
    sent = announce_outcome(corrected, secretariat_language="nl", **ports)
    assert sent.notices == ["outcome"], "its outcome, as decided on appeal; no 'now compliant'"
    assert ports["store"].outcomes() == {(who["id"], 1): "needs_more_time"}
    latest_corrected = scored_versions(who, {2: "compliant"})[2]
    latest_corrected["ordinal"] = {"report_version": 2, "framework_version": 1, "correction": 1}
    sent = announce_outcome(latest_corrected, secretariat_language="nl", **ports)
    assert sorted(sent.notices) == ["now_compliant", "outcome"], "a correction of the latest version does"


# --- a rebuild sends nothing that was sent before, reminders included -------------------------------------

def test_after_a_rebuild_the_reminders_and_alerts_already_due_are_restored_unsent_and_later_ones_sent(ports):
    store, channels, clock = ports["store"], ports["channels"], ports["clock"]
    late = company()  # obliged for year 1, no report: reminded before 31 December, missing after 1 April
    timer = {"store": store, "channels": channels, "clock": clock, "scoring": FakeScoring(),
             "secretariat_language": "nl"}
    remember_company(late, store=store)
    usecases.send_reminders(**timer)
    assert channels.mailed == [(f"reminder:{late['id']}:1:2020-12-31:30", late["email"])]

    rebuilt = {"store": in_memory(NoticeStore), "channels": FakeChannels(), "clock": clock}  # an empty database
    remember_company(late, store=rebuilt["store"], clock=clock, replayed=True)  # trustone replay
    usecases.send_reminders(**{**timer, **rebuilt})
    restored = rebuilt["store"].inbox("company", late["id"], 0, 10)[0]
    assert [(each["kind"], each["deliveries"]["email"]["state"]) for each in restored] == [("reminder", "skipped")]
    assert rebuilt["channels"].mailed == [], "the reminder sent before the loss is not sent again"

    clock.set("2020-12-25T10:00:00")  # the 7-day reminder became due after the rebuild: sent
    usecases.send_reminders(**{**timer, **rebuilt})
    assert rebuilt["channels"].mailed == [(f"reminder:{late['id']}:1:2020-12-31:7", late["email"])]


# --- members' sign-in codes and the commission's seats ----------------------------------------------------

def replaced(member_id, role, language, email, by_role="secretariat", by_id=None, by_seat=None, replacement="x1"):
    """The data of a member_token_replaced event."""
    return {"replacement_id": replacement,
            "member": {"id": member_id, "role": role, "name": f"Member {member_id}", "language": language,
                       "email": email},
            "replaced_by": {"role": by_role, "id": by_id, "seat": by_seat},
            "replaced_at": "2021-03-15T10:00:00+00:00"}


def test_every_replaced_code_is_told_to_its_owner_once_in_its_language_at_its_own_address(ports):
    from common.identity import Caller
    company = replaced("c-1", "company", "nl", "dd@steen.nl", replacement="r1")
    member = replaced("m-2", "commission", "en", "m2@example.org", "commission", "chair-1", "chair", "r2")
    authority = replaced("a-3", "authority", "nl", None, replacement="r3")
    for _ in range(2):  # a redelivery tells no one twice
        for each in (company, member, authority):
            on_token_replaced(each, **ports)
    assert sorted(ports["channels"].mailed) == [("token_replaced:r1", "dd@steen.nl"),
                                                ("token_replaced:r2", "m2@example.org")], \
        "the member's own address, not the commission's; the authority has none on record"
    shown = usecases.inbox(Caller("company", "c-1"), 1, 10, store=ports["store"])["items"]
    assert [each["subject"] for each in shown] == ["Uw aanmeldcode is vervangen"]
    assert shown[0]["body"] == ("Op 15 maart 2021 heeft het secretariaat een nieuwe aanmeldcode gemaakt voor "
                                "Member c-1; de vorige code werkt niet meer. Vroeg u hier niet om, neem dan "
                                "meteen contact op met het secretariaat.")
    own = usecases.inbox(Caller("commission", "m-2"), 1, 10, store=ports["store"])["items"]
    assert own[0]["body"] == ("On 15 March 2021, the chair of the complaints and disputes commission made a new "
                              "sign-in code for Member m-2; the previous code no longer works. If you did not ask "
                              "for this, contact the commission's chair at once.")
    assert usecases.inbox(Caller("commission", "chair-1"), 1, 10, store=ports["store"])["items"] == [], \
        "one member's notice is not the others'"
    assert len(usecases.inbox(Caller("authority", "a-3"), 1, 10, store=ports["store"])["items"]) == 1
    dutch = usecases.inbox(Caller("commission", "m-2"), 1, 10, store=ports["store"], language="nl")["items"][0]
    assert dutch["subject"] == "Uw aanmeldcode is vervangen"


def test_a_chair_that_replaced_its_own_code_is_told_to_go_to_the_operators(ports):
    from common.identity import Caller
    on_token_replaced(replaced("chair-1", "commission", "nl", "c@example.org", "commission", "chair-1",
                                        "chair"), **ports)
    body = usecases.inbox(Caller("commission", "chair-1"), 1, 10, store=ports["store"])["items"][0]["body"]
    assert "heeft u zelf een nieuwe aanmeldcode" in body and "de beheerders van het platform" in body


def test_the_commission_hears_of_a_seat_that_waits_for_the_chairs_confirmation(ports):
    from common.identity import Caller
    seat = {"id": "m-9", "name": "Jan Werkgever", "seat": "employers", "email": "jan@example.org", "language": "en"}
    for _ in range(2):
        on_commission_member_registered({"member": seat, "seated": False}, commission_language="nl",
                                                 **ports)
    assert on_commission_member_registered({"member": {**seat, "id": "chair"}, "seated": True},
                                                    commission_language="nl", **ports).notices == []
    shown = usecases.inbox(Caller("commission", "chair-1"), 1, 10, store=ports["store"])["items"]
    assert [each["subject"] for each in shown] == ["Een nieuwe zetel wacht op bevestiging: Jan Werkgever"]
    assert "als lid namens de werkgevers" in shown[0]["body"]
    assert ports["channels"].mailed == [("commission_seat_awaiting:m-9", "commissie@trustone.example")]


class FakeSubmission:
    """The submission service's `list_members`, with members this service has not heard of yet."""

    def __init__(self, *companies):
        self.companies = list(companies)
        self.asked = 0

    def list_members(self):
        self.asked += 1
        return {"companies": self.companies, "authorities": []}


def test_the_standing_of_a_company_follows_its_versions_assessments_and_own_date(ports):
    who, newcomer = company(), company(joined_on="2020-08-01")
    asked = dict(store=ports["store"], clock=ports["clock"], scoring=FakeScoring(), submission=FakeSubmission(newcomer))
    confirm_receipt(submitted_event(blank_report(), who, submitted_at="2020-12-01T10:00:00+00:00"), **ports)
    first = usecases.standing_of(who["id"], **asked)
    year_1 = first["years"][0]
    assert (year_1["status"], year_1["reported_on"], year_1["deadline"], year_1["latest_version"]) == \
        ("received", "2020-12-01", "2021-04-01", 1)
    announce_outcome(scored_event(blank_report(), who), secretariat_language="nl", **ports)
    confirm_receipt(submitted_event(blank_report(), who, version=2), **ports)
    year_1 = usecases.standing_of(who["id"], **asked)["years"][0]
    assert (year_1["status"], year_1["assessed_version"], year_1["outcome"]) == ("received", 1, "needs_more_time")
    announce_outcome(scored_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), who, version=2),
                              secretariat_language="nl", **ports)
    ports["store"].grant_extension(who["id"], 1, datetime(2021, 5, 15).date(), ports["clock"].now())
    year_1 = usecases.standing_of(who["id"], **asked)["years"][0]
    assert (year_1["status"], year_1["reported"], year_1["own_date"], year_1["score"]) == \
        ("compliant", "on_time", "2021-05-15", 27.8)

    # a member registered a moment ago is asked of submission; the secretariat reads every member's
    assert usecases.standing_of(newcomer["id"], **asked)["years"][0]["status"] == "not_obliged"
    with pytest.raises(errors.NotFound):
        usecases.standing_of("nobody", **asked)
    everyone = usecases.standings(Caller("secretariat"), covenant_year=1, **asked)
    assert sorted(each["member"]["id"] for each in everyone) == sorted([who["id"], newcomer["id"]])
    assert [len(each["years"]) for each in everyone] == [1, 1]
    own = usecases.standings(Caller("company", who["id"]), company_id=newcomer["id"], **asked)
    assert [each["member"]["id"] for each in own] == [who["id"]], "a company reads its own only"


def test_a_standing_is_asked_by_an_id_never_by_a_query(ports):
    remember_company(company(), store=ports["store"])
    with pytest.raises(errors.Invalid):
        usecases.standing_of({"$ne": ""}, store=ports["store"], clock=ports["clock"], scoring=FakeScoring(),
                             submission=FakeSubmission())


def test_a_years_standings_come_a_page_at_a_time_by_name_counted_per_state_and_kept_by_state(ports):
    store, clock = ports["store"], ports["clock"]
    members = [company(company_id=f"c-{number:02}") | {"name": f"Steen {number:02}"} for number in range(7)]
    members.append(company(company_id="late", joined_on="2020-08-01") | {"name": "Aardsteen"})  # need not report
    for each in members:
        remember_company(each, store=store)
    for each in members[:3]:  # three sent a report; one of them was assessed
        confirm_receipt(submitted_event(blank_report(), each, report_id=f"r-{each['id']}"), **ports)
    announce_outcome(scored_event(blank_report(), members[0], report_id="r-c-00"), secretariat_language="nl",
                              **ports)
    asked = dict(store=store, clock=clock, scoring=FakeScoring())

    first = usecases.year_standings(1, None, 1, 3, **asked)
    assert first["counts"] == {"not_obliged": 1, "due": 4, "missing": 0, "received": 2, "needs_more_time": 1,
                               "compliant": 0}
    assert first["total"] == 8 and [each["member"]["name"] for each in first["items"]] == \
        ["Aardsteen", "Steen 00", "Steen 01"]
    last = usecases.year_standings(1, None, 3, 3, **asked)
    assert [each["member"]["name"] for each in last["items"]] == ["Steen 05", "Steen 06"]
    due = usecases.year_standings(1, "due", 1, 50, **asked)
    assert due["total"] == 4 and {each["standing"]["status"] for each in due["items"]} == {"due"}
    assert due["counts"] == first["counts"], "the counts are of every state, whatever is kept"
    confirm_receipt(submitted_event(blank_report(), members[3], report_id="r-c-03"), **ports)
    assert usecases.year_standings(1, "received", 1, 50, **asked)["total"] == 3, "a change is seen at once"
    clock.set("2021-04-02T09:00:00")  # the catch-up date passed: who sent nothing is missing
    assert usecases.year_standings(1, "missing", 1, 50, **asked)["total"] == 3
    ports["store"].grant_extension(members[4]["id"], 1, date(2021, 6, 1), clock.now())  # its own date
    assert usecases.year_standings(1, "missing", 1, 50, **asked)["total"] == 2
    with pytest.raises(errors.NotFound):
        usecases.year_standings(9, None, 1, 50, **asked)


def test_a_company_hears_once_of_each_message_the_commission_writes_to_it_in_its_words(ports):
    from common.identity import Caller
    who = company(language="nl")
    remember_company(who, store=ports["store"])
    written = {"number": "K-2021-0003", "kind": "assessment_appeal", "covenant_year": 2, "company_id": who["id"],
               "at": "2021-03-15T10:00:00+00:00"}
    for _ in range(2):  # a redelivery tells it once
        usecases.on_case_message(typed("case_message_sent", written), **ports)
    usecases.on_case_message(typed("case_message_sent", {**written, "at": "2021-03-16T10:00:00+00:00"}), **ports)
    assert ports["channels"].mailed == [
        ("case_message:K-2021-0003:2021-03-15T10:00:00+00:00", who["email"]),
        ("case_message:K-2021-0003:2021-03-16T10:00:00+00:00", who["email"])]
    shown = usecases.inbox(Caller("company", who["id"]), 1, 10, store=ports["store"])["items"][0]
    assert shown["subject"] == "De commissie schreef u over zaak K-2021-0003"
    assert "Lees het bericht op de pagina van de zaak" in shown["body"] and shown["about"] == {"number": "K-2021-0003"}
    with pytest.raises(errors.Unavailable):  # a company not heard of yet (a rebuild): handled again later
        usecases.on_case_message(typed("case_message_sent", {**written, "company_id": "unknown"}), **ports)


def test_a_name_nobody_holds_offers_the_members_whose_names_are_near_it(ports):
    names = ["Kasteelsteen B.V.", "Kalksteen Import B.V.", "Blauwe Steen B.V.", "Marmer Import B.V."]
    for number, name in enumerate(names):
        remember_company({**company(company_id=f"c-{number}"), "name": name}, store=ports["store"])
    assert usecases.search_members("Kastelsteen", store=ports["store"]) == []
    assert [each["name"] for each in usecases.near_members("Kastelsteen", store=ports["store"])] == \
        ["Kasteelsteen B.V."], "the typo's member, not every stone company"
    assert usecases.near_members("kastelsteen", store=ports["store"])[0] == {
        "id": "c-0", "name": "Kasteelsteen B.V.", "country": "NL", "role": "importer"}
    assert usecases.near_members("Blauwsteen", store=ports["store"])[0]["name"] == "Blauwe Steen B.V."
    assert usecases.near_members("Marmer", store=ports["store"]) == [], "a name it holds is found, not near"
    assert usecases.near_members("Zwarte Rots", store=ports["store"]) == []
