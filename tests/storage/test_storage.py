"""What the platform's correctness rests on in its document store, checked on the engine it runs on:
the indexes the repositories declare, unique keys, compare-and-set updates, upserts that race, the
outbox's queries, sorting and paging. On the in-process engine in CI; against a real MongoDB with
`MONGO_URI=mongodb://host:27017/trustone scripts/test tests/storage`."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from pymongo.errors import DuplicateKeyError

from common.events import Ordinal, new_event
from common.mongo import Repository
from common.outbox import Kept, Outbox, oldest_unpublished_age
from services.complaints.dependencies import CaseStore
from services.notification.dependencies import NoticeStore
from services.notification.domain import Notice
from services.portal.dependencies import PortalStore
from services.reporting.dependencies import SectorStore
from services.scoring.dependencies import ScoringStore
from services.submission.dependencies import SubmissionStore
from tests.support import company

REPOSITORIES = {"submission": SubmissionStore, "scoring": ScoringStore, "notification": NoticeStore,
                "reporting": SectorStore, "portal": PortalStore, "complaints": CaseStore}
RACERS = 8


def repository(database, service: str) -> Repository:
    store = REPOSITORIES[service](database(service))
    store.ensure_indexes()
    return store


def at_once(calls):
    """Runs the calls concurrently (green threads: on a server, their requests interleave) -> results."""
    pool = eventlet.GreenPool(len(calls))
    threads = [pool.spawn(call) for call in calls]
    return [thread.wait() for thread in threads]


def registered(who: dict):
    return new_event("company_registered", {"company": who}, producer="storage-suite", correlation_id="s")


# --- indexes ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("service", REPOSITORIES)
def test_every_index_a_repository_declares_exists_with_its_options(database, service):
    store = repository(database, service)
    store.ensure_indexes()  # at every start: declaring again changes nothing
    for collection, declared in store.INDEXES.items():
        found = {tuple(tuple(pair) for pair in info["key"]): info
                 for info in store.db[collection].index_information().values()}
        for index in declared:
            assert index.keys in found, f"{service}.{collection} lacks {index.keys}"
            assert bool(found[index.keys].get("unique")) == index.unique, (collection, index.keys)
            assert found[index.keys].get("expireAfterSeconds") == index.expire_after_seconds, (collection, index.keys)


@pytest.mark.parametrize("service", ["submission", "scoring", "complaints"])
def test_every_collection_that_keeps_events_has_the_outbox_index(database, service):
    store = repository(database, service)
    for outbox in store.outboxes:
        assert Outbox.INDEX_KEYS in {index.keys for index in store.INDEXES[outbox.collection.name]}


# --- unique keys -----------------------------------------------------------------------------------------

def test_a_token_hash_names_one_member_only(database):
    store = repository(database, "submission")
    first, second = company(), company()
    store.add_member("company", {**first, "token_hash": "same"}, registered(first))
    with pytest.raises(DuplicateKeyError):
        store.add_member("company", {**second, "token_hash": "same"}, registered(second))
    assert store.member_by_token_hash("same") == {"role": "company", "id": first["id"], "name": first["name"]}


def test_changes_made_to_one_case_at_once_each_take_their_own_place_in_it(database):
    store = repository(database, "complaints")
    now = datetime.now(timezone.utc)
    at_once([lambda each=each: store.add_change("K-2021-0001", {"type": "message", "at": now, "text": str(each)},
                                                None) for each in range(RACERS)])
    changes = store.changes_of("K-2021-0001")
    assert [each["seq"] for each in changes] == list(range(1, RACERS + 1))
    assert sorted(each["text"] for each in changes) == [str(each) for each in range(RACERS)]


def test_cases_filed_at_once_each_take_their_own_number(database):
    store = repository(database, "complaints")
    numbers = at_once([lambda: store.next_number(2021)] * RACERS)
    assert sorted(numbers) == list(range(1, RACERS + 1)), "no case number twice, none skipped"
    assert store.next_number(2022) == 1, "each calendar year counts from one"


def test_instances_needing_the_days_key_at_once_share_one_and_it_goes_with_its_window(database):
    """Address marks (common.network.DayKeys) are made under one key per day, whichever instance makes it
    first: instances racing each count an address by the same mark."""
    from common.network import DayKeys
    from common.sealing import Sealer
    store = repository(database, "complaints")
    key = Sealer.new_key()
    now = datetime.now(timezone.utc).replace(hour=10)  # real time: MongoDB deletes a key by it (TTL)
    instances = [DayKeys(store, Sealer(key, setting="COMPLAINTS_SECRET_KEY", without_key=""), timedelta(hours=25))
                 for _ in range(RACERS)]
    marks = at_once([lambda each=each: each.marks("198.51.100.10", now, timedelta(days=1)) for each in instances])
    assert len({tuple(each) for each in marks}) == 1 and len(marks[0]) == 1, "today's key only: none made for yesterday"
    assert store.mark_keys.count_documents({}) == 1
    later = now + timedelta(days=2, hours=2)  # today's marks count no more: its key is deleted
    assert instances[0].marks("198.51.100.10", later, timedelta(days=1)) != marks[0]
    assert store.day_key(now.date().isoformat()) is None and store.day_key(later.date().isoformat()) is not None


def test_a_years_sample_drawn_twice_at_once_is_stored_once(database):
    store = repository(database, "scoring")

    def draw(seed):  # the store keeps whatever event announces the draw
        return seed, store.add_draw({"covenant_year": 1, "seed": seed, "sampled": []}, registered(company()))
    drawn = at_once([lambda seed=str(each): draw(seed) for each in range(RACERS)])
    winners = [seed for seed, (_, kept) in drawn if kept is not None]
    assert len(winners) == 1, "one draw stored, with its one event"
    assert {stored["seed"] for _, (stored, _) in drawn} == set(winners), "every racer reads the one stored"
    assert store.draw(1)["seed"] == winners[0]


def test_racing_submissions_of_one_report_take_each_version_number_once(database):
    store = repository(database, "submission")
    now = datetime.now(timezone.utc)

    def submit():
        def event(report_id, version, previous):
            return new_event("company_registered", {"company": company()}, producer="s", correlation_id="s")
        return store.add_version("company-1", {"covenant_year": 1}, now, event).version
    versions = at_once([submit] * RACERS)
    assert sorted(versions) == list(range(1, RACERS + 1)), "no number twice, none skipped"
    assert len(store.report_list("company-1")) == 1, "one report header, however many raced to create it"
    assert store.report_list("company-1")[0]["latest_version"] == RACERS


def test_an_assessment_is_stored_once_per_report_version_framework_version_and_correction(database):
    store = repository(database, "scoring")
    event = new_event("company_registered", {"company": company()}, producer="s", correlation_id="s")
    assessment = {"covenant_year": 1, "score": 50.0}
    made = at_once([lambda: store.add_assessment("r", Ordinal(1, 1, 0), "c", assessment, event)[1]] * RACERS)
    assert made.count(True) == 1
    store.add_assessment("r", Ordinal(1, 2, 0), "c", {**assessment, "score": 40.0}, event)
    store.add_assessment("r", Ordinal(2, 1, 0), "c", {**assessment, "score": 30.0}, event)
    assert store.latest_assessment("r")["assessment"]["score"] == 30.0, "the newest version first"
    assert [each["framework_version"] for each in store.assessments_of_report("r")] == [2, 1], \
        "each version's newest framework, oldest version first"


def test_a_received_report_is_kept_once_however_often_it_arrives(database):
    store = repository(database, "scoring")
    who = company()
    submitted = {"report_id": "r", "version": 1, "covenant_year": 1, "company": who, "report": {},
                 "submitted_at": "2020-12-01T10:00:00+00:00"}
    at_once([lambda: store.keep_report(submitted)] * RACERS)
    assert len(store.latest_reports(1)) == 1


# --- compare-and-set -------------------------------------------------------------------------------------

def test_racing_versions_of_one_company_change_the_figures_once_and_the_newest_wins(database):
    store = repository(database, "reporting")
    events = [(f"event-{version}", [version, 1], {"assessed": 1, f"band_{version}": 1})
              for version in range(1, RACERS + 1)]
    applied = at_once([lambda each=each: store.apply(1, "company-1", each[1], each[2], each[0]) for each in events])
    assert any(applied)
    assert store.counters(1) == {"assessed": 1, f"band_{RACERS}": 1}
    assert store.apply(1, "company-1", [RACERS, 1], {"assessed": 1}, f"event-{RACERS}") is False, "a redelivery"
    assert store.apply(1, "company-1", [1, 1], {"assessed": 1}, "event-1") is False, "an older version"


def test_companies_racing_to_open_a_year_are_each_counted(database):
    store = repository(database, "reporting")
    applied = at_once([lambda n=n: store.apply(7, f"company-{n}", [1, 1], {"assessed": 1}, f"e-{n}")
                       for n in range(RACERS)])
    assert applied == [True] * RACERS
    assert store.counters(7) == {"assessed": RACERS}


def test_a_delivery_is_claimed_by_one_worker_only(database):
    store = repository(database, "notification")
    now = datetime.now(timezone.utc)
    notice = Notice(key="receipt:r:1", kind="receipt", recipient_role="company", recipient_id="c", language="nl",
                    subject="s", body="b", covenant_year=1, created_at=now)
    assert store.add(notice, {"email": {"state": "pending", "attempts": 0, "next_attempt_at": now}})
    assert not store.add(notice, {}), "a notice is stored once under its key"
    claims = at_once([lambda: store.claim("receipt:r:1", "email", now)] * RACERS)
    assert sum(claim is not None for claim in claims) == 1
    store.settle("receipt:r:1", "email", "delivered", 1, now)
    assert store.with_undelivered() == []


def test_a_standing_follows_the_newest_assessment_only(database):
    store = repository(database, "notification")
    def scored(version):
        return {"company": {"id": "c"}, "covenant_year": 1, "ordinal": [version, 1, 0], "report_id": "r",
                "version": version, "submitted_at": "2020-12-01T10:00:00+00:00", "calendar": {},
                "assessment": {"outcome": f"outcome-{version}", "score": 0.0, "requirements": []}}
    stood = at_once([lambda version=version: store.record_standing(scored(version)) for version in (3, 1, 2)])
    assert store.outcomes() == {("c", 1): "outcome-3"}
    # whichever came first, each is known: the latest stands after the one just before it
    assert store.record_standing(scored(3)).replaced == "outcome-2", "a redelivery stands among all that are known"
    assert store.standings.find_one({"_id": "c:1"})["history"] == {
        str(rank): f"outcome-{rank // 1_000_000}" for rank in (1_001_000, 2_001_000, 3_001_000)}
    assert sum(each.latest for each in stood) >= 1
    at_once([lambda day=day, version=version: store.record_submission(
        "c", 1, datetime(2020, 12, day, tzinfo=timezone.utc), version) for day, version in ((9, 3), (3, 1), (5, 2))])
    known = store.known_years(company_id="c")[("c", 1)]
    assert (known.first_submitted_at, known.latest_version) == (datetime(2020, 12, 3, tzinfo=timezone.utc), 3), \
        "the first version's time and the latest version, whichever came first"
    assert (known.assessed_version, known.outcome) == (3, "outcome-3")


# --- the outbox ------------------------------------------------------------------------------------------

def test_the_relay_finds_unpublished_events_past_their_grace_oldest_first(database):
    store = repository(database, "submission")
    outbox = store.outboxes[0]
    now = datetime.now(timezone.utc)
    kept = {}
    for minutes in (3, 10, 0, 5):
        who = company()
        event = registered(who)
        event = replace(event, occurred_at=now - timedelta(minutes=minutes))
        store.add_member("company", {**who, "token_hash": who["id"]}, event)
        kept[minutes] = Kept(outbox, who["id"], event)
    outbox.sent(kept[5].document_id)
    outbox.flush()
    pending = [each.event.id for each in outbox.pending(grace_seconds=60)]
    assert pending == [kept[10].event.id, kept[3].event.id], "published and too recent ones wait; oldest first"
    assert 599 < oldest_unpublished_age(store.outboxes, now) <= 601


# --- sorting and paging ----------------------------------------------------------------------------------

def test_an_inbox_is_newest_first_and_pages_without_gaps_or_repeats(database):
    store = repository(database, "notification")
    start = datetime(2021, 1, 1, tzinfo=timezone.utc)
    for n in range(7):
        store.add(Notice(key=f"k{n}", kind="receipt", recipient_role="company", recipient_id="c", language="nl",
                         subject=str(n), body="", covenant_year=1, created_at=start + timedelta(hours=n)), {})
    store.add(Notice(key="other", kind="receipt", recipient_role="company", recipient_id="d", language="nl",
                     subject="x", body="", covenant_year=1, created_at=start), {})
    pages = [store.inbox("company", "c", skip, 3) for skip in (0, 3, 6)]
    assert [total for _, total in pages] == [7, 7, 7]
    assert [[each["subject"] for each in page] for page, _ in pages] == [["6", "5", "4"], ["3", "2", "1"], ["0"]]


def test_members_are_found_by_any_part_of_their_name_in_any_case_sorted_and_limited(database):
    store = repository(database, "notification")
    for name in ("Steenhandel B.V.", "Natuursteen NV", "Graniet & Co", "STEEN.com (regex chars)"):
        store.register_company({**company(), "name": name})
    assert [each["name"] for each in store.companies_named("steen")] == [
        "Natuursteen NV", "STEEN.com (regex chars)", "Steenhandel B.V."]
    assert [each["name"] for each in store.companies_named("n.c")] == ["STEEN.com (regex chars)"], \
        "the text is taken literally, not as a pattern"
    assert len(store.companies_named("e", limit=2)) == 2


def test_reports_list_by_year_then_last_change(database):
    store = repository(database, "submission")
    start = datetime(2021, 1, 1, tzinfo=timezone.utc)

    def event(report_id, version, previous):
        return registered(company())
    for company_id, year, hours in (("a", 2, 1), ("b", 1, 3), ("c", 1, 2)):
        store.add_version(company_id, {"covenant_year": year}, start + timedelta(hours=hours), event)
    assert [(each["company_id"], each["covenant_year"]) for each in store.report_list()] == [
        ("c", 1), ("b", 1), ("a", 2)]
