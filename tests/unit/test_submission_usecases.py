"""The submission service's use cases with in-memory ports: no broker, milliseconds."""
import pytest

from common import errors, outbox
from common.identity import Caller
from common.vocabulary import AUTHORITY, COMMISSION, COMPANY, SECRETARIAT
from services.submission import usecases
from services.submission.dependencies import SubmissionStore
from tests.support import AUTHORITY as AUTHORITY_REGISTRATION
from tests.support import COMPANY as COMPANY_REGISTRATION
from tests.support import FakeScoring, RecordingPublisher, SettableClock, example_report, in_memory


@pytest.fixture
def ports():
    return {"store": in_memory(SubmissionStore), "publisher": RecordingPublisher("submission"),
            "clock": SettableClock("2020-12-01T10:00:00")}


def register(ports, registration=COMPANY_REGISTRATION, role=COMPANY):
    return usecases.register_member(role, registration, **ports)


def submit(ports, company_id, report=None, scoring=None, known_years=None):
    return usecases.submit_report(company_id, report or example_report(), scoring=scoring or FakeScoring(),
                                  known_years=set() if known_years is None else known_years, **ports)


def test_a_registration_is_stored_announced_and_its_token_found_by_hash_only(ports):
    company = register(ports)
    authority = register(ports, AUTHORITY_REGISTRATION, AUTHORITY)
    assert [event.type for event in ports["publisher"].published] == ["company_registered", "authority_registered"]
    assert ports["publisher"].published[1].data == {"authority": {
        "id": authority["id"], "name": "Gemeente Leiden", "country": "NL", "joined_on": "2020-03-01"}}
    from common.identity import token_hash
    assert ports["store"].member_by_token_hash(token_hash(company["token"])) == {
        "role": COMPANY, "id": company["id"], "name": company["name"]}
    assert ports["store"].member_by_token_hash(token_hash(authority["token"])) == {
        "role": AUTHORITY, "id": authority["id"], "name": "Gemeente Leiden"}
    assert "token_hash" not in usecases.companies(store=ports["store"])[0]


def test_a_replaced_token_works_the_old_one_no_longer_does_and_its_owner_is_told(ports):
    from common.identity import token_hash
    store = ports["store"]
    for registration, role in ((COMPANY_REGISTRATION, COMPANY), (AUTHORITY_REGISTRATION, AUTHORITY)):
        member = register(ports, registration, role)
        replaced = usecases.replace_token(Caller(SECRETARIAT), member["id"], **ports)
        assert (replaced["id"], replaced["role"], replaced["name"]) == (member["id"], role, registration["name"])
        assert store.member_by_token_hash(token_hash(member["token"])) is None
        assert store.member_by_token_hash(token_hash(replaced["token"])) == {"role": role, "id": member["id"],
                                                                              "name": registration["name"]}
    told = [event.data for event in ports["publisher"].of_type("member_token_replaced")]
    assert [(each["member"]["role"], each["member"]["language"], each["member"]["email"], each["replaced_by"])
            for each in told] == [(COMPANY, "nl", "dd@steenhandel.nl", {"role": SECRETARIAT, "id": None, "seat": None}),
                                  (AUTHORITY, "nl", None, {"role": SECRETARIAT, "id": None, "seat": None})]
    assert len({each["replacement_id"] for each in told}) == 2
    with pytest.raises(errors.NotFound):
        usecases.replace_token(Caller(SECRETARIAT), "nobody", **ports)


# --- the commission's independence of the secretariat ----------------------------------------------------

SEAT = {"name": "Jan Werkgever", "seat": "employers", "email": "jan@example.org", "language": "en"}
CHAIR_APPOINTMENT = {"name": "Anna Voorzitter", "email": "anna@example.org", "language": "nl"}


def chair_and_seat(ports):
    """The chair appointed at deployment, and a seat the secretariat registered (awaiting confirmation)."""
    chair = usecases.appoint_first_chair(CHAIR_APPOINTMENT, **ports)
    seat = usecases.register_member(COMMISSION, SEAT, **ports)
    return chair, seat


def test_a_seat_the_secretariat_registers_has_no_code_and_is_no_caller_until_the_chair_confirms_it(ports):
    from common.identity import token_hash
    store = ports["store"]
    chair, seat = chair_and_seat(ports)
    assert "token" not in seat and seat["status"] == "awaiting_confirmation"
    registered = ports["publisher"].of_type("commission_member_registered")
    assert [each.data["seated"] for each in registered] == [True, False]
    assert store.member_by_token_hash(token_hash(chair["token"])) == {"role": COMMISSION, "id": chair["id"]}, \
        "a commission member's (a person's) name goes no further"
    # the code the seat was stored with (a hash of a code nobody was given) opens nothing, even if known
    placeholder = store.commission.find_one({"_id": seat["id"]})["token_hash"]
    assert store.member_by_token_hash(placeholder) is None

    seated = usecases.confirm_seat(Caller(COMMISSION, chair["id"]), seat["id"], **ports)
    assert (seated["id"], seated["seat"]) == (seat["id"], "employers")
    assert store.member_by_token_hash(token_hash(seated["token"])) == {"role": COMMISSION, "id": seat["id"]}
    announced = ports["publisher"].of_type("commission_member_seated")[0].data
    assert (announced["member"]["id"], announced["seated_by"]) == (seat["id"], chair["id"])
    assert [each["status"] for each in usecases.commission(Caller(SECRETARIAT), store=store)] == ["seated", "seated"]
    with pytest.raises(errors.Invalid) as again:
        usecases.confirm_seat(Caller(COMMISSION, chair["id"]), seat["id"], **ports)
    assert "member" in again.value.errors


def test_only_the_chair_confirms_a_seat_and_reads_the_list_beside_the_secretariat(ports):
    chair, seat = chair_and_seat(ports)
    other = usecases.register_member(COMMISSION, {**SEAT, "name": "Nel Vakbond", "seat": "unions_and_ngos"}, **ports)
    member = usecases.confirm_seat(Caller(COMMISSION, chair["id"]), other["id"], **ports)
    for caller in (Caller(COMMISSION, member["id"]), Caller(SECRETARIAT), Caller(COMPANY, "c-1")):
        with pytest.raises((errors.Forbidden, errors.Unauthenticated)):
            usecases.confirm_seat(caller, seat["id"], **ports)
    with pytest.raises(errors.Forbidden):
        usecases.commission(Caller(COMMISSION, member["id"]), store=ports["store"])
    assert len(usecases.commission(Caller(COMMISSION, chair["id"]), store=ports["store"])) == 3
    with pytest.raises(errors.NotFound):
        usecases.confirm_seat(Caller(COMMISSION, chair["id"]), "nobody", **ports)


def test_the_first_chair_is_appointed_once_and_never_while_a_chair_sits(ports):
    usecases.appoint_first_chair(CHAIR_APPOINTMENT, **ports)
    with pytest.raises(errors.Forbidden):
        usecases.appoint_first_chair({**CHAIR_APPOINTMENT, "name": "Someone Else"}, **ports)
    other = in_memory(SubmissionStore)  # a deployment whose chair sat before chairs were appointed
    other.commission.insert_one({"_id": "old-chair", "name": "Old", "seat": "chair", "token_hash": "x"})
    with pytest.raises(errors.Forbidden):
        usecases.appoint_first_chair(CHAIR_APPOINTMENT, **{**ports, "store": other})
    assert len(ports["publisher"].of_type("commission_member_registered")) == 1


def test_a_confirmation_that_stopped_halfway_is_finished_by_the_next(ports):
    from common.identity import token_hash
    chair, seat = chair_and_seat(ports)
    store = ports["store"]
    original = store.commission.find_one_and_update
    store.commission.find_one_and_update = lambda *args, **kwargs: (_ for _ in ()).throw(ConnectionError("down"))
    with pytest.raises(ConnectionError):
        usecases.confirm_seat(Caller(COMMISSION, chair["id"]), seat["id"], **ports)
    store.commission.find_one_and_update = original
    seated = usecases.confirm_seat(Caller(COMMISSION, chair["id"]), seat["id"], **ports)
    assert store.member_by_token_hash(token_hash(seated["token"]))["id"] == seat["id"]
    announced = ports["publisher"].of_type("commission_member_seated")
    assert len({each.id for each in announced}) == 1, "the one confirmation's event (sent again: a duplicate)"


def test_the_secretariat_cannot_replace_a_commission_members_code_the_chair_and_the_member_can(ports):
    from common.identity import token_hash
    chair, seat = chair_and_seat(ports)
    member = usecases.confirm_seat(Caller(COMMISSION, chair["id"]), seat["id"], **ports)
    store = ports["store"]
    with pytest.raises(errors.Forbidden):
        usecases.replace_token(Caller(SECRETARIAT), member["id"], **ports)
    with pytest.raises(errors.Forbidden):
        usecases.replace_token(Caller(SECRETARIAT), chair["id"], **ports)
    assert store.member_by_token_hash(token_hash(member["token"]))["id"] == member["id"], "unchanged"
    assert not ports["publisher"].of_type("member_token_replaced")

    own = usecases.replace_token(Caller(COMMISSION, member["id"]), member["id"], **ports)
    by_chair = usecases.replace_token(Caller(COMMISSION, chair["id"]), member["id"], **ports)
    assert store.member_by_token_hash(token_hash(own["token"])) is None
    assert store.member_by_token_hash(token_hash(by_chair["token"]))["id"] == member["id"]
    with pytest.raises(errors.Forbidden):  # a member replaces no other member's code, the chair's least
        usecases.replace_token(Caller(COMMISSION, member["id"]), chair["id"], **ports)
    company = register(ports)
    with pytest.raises(errors.NotFound):  # nor the chair a company's: that is the secretariat's
        usecases.replace_token(Caller(COMMISSION, chair["id"]), company["id"], **ports)
    told = [event.data for event in ports["publisher"].of_type("member_token_replaced")]
    assert [(each["member"]["id"], each["member"]["language"], each["member"]["email"], each["replaced_by"]["seat"])
            for each in told] == [(member["id"], "en", "jan@example.org", "employers"),
                                  (member["id"], "en", "jan@example.org", "chair")]


def test_a_seat_awaiting_confirmation_gets_no_code_from_a_replacement_either(ports):
    chair, seat = chair_and_seat(ports)
    with pytest.raises(errors.Invalid):
        usecases.replace_token(Caller(COMMISSION, chair["id"]), seat["id"], **ports)


def test_a_token_replaced_is_told_even_when_the_process_stops_before_the_new_code_is_stored(ports):
    """The notice's event is kept first: a stop between the two writes tells of a replacement that did not
    happen (the old code still works), never of none that did."""
    from common.identity import token_hash
    company = register(ports)
    store = ports["store"]
    store.companies.find_one_and_update = lambda *args, **kwargs: (_ for _ in ()).throw(ConnectionError("down"))
    with pytest.raises(ConnectionError):
        usecases.replace_token(Caller(SECRETARIAT), company["id"], **ports)
    del store.companies.find_one_and_update
    assert store.member_by_token_hash(token_hash(company["token"]))["id"] == company["id"]
    assert [kept.event.type for kept in store._replacements_outbox.pending(-1)] == ["member_token_replaced"]


def test_versions_count_up_per_company_and_year_and_each_is_announced(ports):
    company = register(ports)
    first, second = submit(ports, company["id"]), submit(ports, company["id"])
    assert (first["version"], second["version"], second["previous_version"]) == (1, 2, 1)
    assert first["id"] == second["id"]
    events = ports["publisher"].of_type("report_submitted")
    assert [(each.data["version"], each.data["previous_version"]) for each in events] == [(1, None), (2, 1)]
    assert events[0].data["company"]["id"] == company["id"]


def test_a_version_stored_without_its_count_raised_is_not_numbered_again(ports):
    """A process that stopped between storing a version and raising the report's count of versions, or a
    concurrent submission between the two: the next version still takes the next number."""
    company = register(ports)
    first = submit(ports, company["id"])
    store = ports["store"]
    store.reports.update_one({"_id": first["id"]}, {"$set": {"latest_version": 0}})  # the count not raised
    second, third = submit(ports, company["id"]), submit(ports, company["id"])
    assert [(each["version"], each["previous_version"]) for each in (second, third)] == [(2, 1), (3, 2)]
    assert [each["version"] for each in store.report_versions(first["id"])] == [1, 2, 3]


def test_a_report_stored_while_the_broker_is_down_is_sent_by_the_relay_once(ports):
    company = register(ports)
    ports["publisher"].failing = True
    accepted = submit(ports, company["id"])
    assert ports["publisher"].of_type("report_submitted") == []
    ports["publisher"].failing = False
    assert outbox.relay(ports["store"].outboxes, ports["publisher"], grace_seconds=0) == 1
    assert [each.data["report_id"] for each in ports["publisher"].of_type("report_submitted")] == [accepted["id"]]
    assert outbox.relay(ports["store"].outboxes, ports["publisher"], grace_seconds=0) == 0


def test_the_backlog_an_operator_sees_is_the_age_of_the_oldest_event_not_yet_published(ports):
    from datetime import datetime, timedelta, timezone
    company = register(ports)
    now = datetime.now(timezone.utc)
    assert outbox.oldest_unpublished_age(ports["store"].outboxes, now) == 0.0, "registered and published"
    ports["publisher"].failing = True
    before = datetime.now(timezone.utc)
    submit(ports, company["id"])
    took = (datetime.now(timezone.utc) - before).total_seconds()  # seconds in a loaded run
    waited = outbox.oldest_unpublished_age(ports["store"].outboxes, before + timedelta(minutes=10))
    assert 600 - took - 0.001 <= waited <= 600.001, "stored between before and after (to the millisecond)"
    ports["publisher"].failing = False
    outbox.relay(ports["store"].outboxes, ports["publisher"], grace_seconds=0)
    assert outbox.oldest_unpublished_age(ports["store"].outboxes, now + timedelta(minutes=10)) == 0.0


def test_a_year_confirmed_once_is_not_asked_again_and_an_unknown_year_is_a_field_error(ports):
    company = register(ports)
    scoring, known = FakeScoring(), set()
    submit(ports, company["id"], scoring=scoring, known_years=known)
    submit(ports, company["id"], scoring=scoring, known_years=known)
    assert scoring.asked_frameworks == 1 and known == {1}
    with pytest.raises(errors.Invalid) as refused:
        submit(ports, company["id"], {**example_report(), "covenant_year": 9}, scoring=scoring, known_years=known)
    assert refused.value.errors == {"covenant_year": [
        "No assessment framework for covenant year 9 (frameworks exist for year 1, 2)."]}
    assert refused.value.problems["covenant_year"][0].params == {"covenant_year": 9, "known": [1, 2]}
    assert len(ports["publisher"].of_type("report_submitted")) == 2, "a refused report announces nothing"


def test_a_report_is_shown_to_its_owner_and_the_secretariat_only(ports):
    owner, other = register(ports), register(ports, {**COMPANY_REGISTRATION, "name": "Other"})
    accepted = submit(ports, owner["id"])
    shown = usecases.report_detail(Caller(COMPANY, owner["id"]), accepted["id"], store=ports["store"])
    assert [each["version"] for each in shown["versions"]] == [1]
    assert usecases.report_detail(Caller(SECRETARIAT), accepted["id"], store=ports["store"]) == shown
    with pytest.raises(errors.NotFound):
        usecases.report_detail(Caller(COMPANY, other["id"]), accepted["id"], store=ports["store"])
    assert usecases.list_reports(Caller(COMPANY, other["id"]), store=ports["store"]) == []
    assert [each["id"] for each in usecases.list_reports(Caller(SECRETARIAT), store=ports["store"])] == [accepted["id"]]


def test_a_preview_stores_and_sends_nothing(ports):
    company = register(ports)
    assessment = usecases.preview_report(company["id"], example_report(), store=ports["store"], scoring=FakeScoring())
    assert assessment["score"] == 47.8
    assert usecases.list_reports(Caller(SECRETARIAT), store=ports["store"]) == []
    assert ports["publisher"].of_type("report_submitted") == []


class RecordingReplayer:
    def __init__(self):
        self.sent = []

    def publish(self, consumer, event):
        self.sent.append((consumer, event))


def test_a_replay_sends_every_registration_and_every_report_version_as_first_sent(ports):
    company = register(ports)
    register(ports, AUTHORITY_REGISTRATION, AUTHORITY)
    first = submit(ports, company["id"])
    submit(ports, company["id"])
    replayer = RecordingReplayer()
    sent = outbox.replay(ports["store"].replayable(), "notification", replayer)
    assert sent == {"company_registered": 1, "authority_registered": 1, "report_submitted": 2}
    published = {event.id: event for event in ports["publisher"].published}
    replayed = [event for _, event in replayer.sent]
    assert all(published[event.id] == event for event in replayed), "the stored events, ids and all"
    assert [(event.data["report_id"], event.data["version"]) for event in replayed
            if event.type == "report_submitted"] == [(first["id"], 1), (first["id"], 2)], "oldest first"
    assert {consumer for consumer, _ in replayer.sent} == {"notification"}
