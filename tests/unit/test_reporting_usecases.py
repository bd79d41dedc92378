"""The reporting service's use cases with in-memory ports: each change counted once."""
import pytest

from common import events

from services.reporting import usecases
from services.reporting.domain import Disclosure, key
from services.reporting.dependencies import Publication, SectorStore
from common import errors
from tests.support import RecordingPublisher, blank_report, company, scored_event, with_steps_1_and_21
from tests.support import SettableClock, configured_disclosure, in_memory, payload


@pytest.fixture
def store():
    return in_memory(SectorStore)


@pytest.fixture
def publisher():
    return RecordingPublisher("reporting")


# What is counted, read live with a threshold of one company, so that counting is seen whatever disclosure hides.
COUNTING = Publication({1: {}, 2: {}}, Disclosure(min_companies=1, min_region_companies=6))
PUBLISHING = Publication({1: {}, 2: {}}, configured_disclosure())


def apply_assessment(event_id, scored, **ports):
    return usecases.apply_assessment(event_id, payload("report_scored", scored), **ports)


def figures(store, year=1):
    return usecases.live_figures(year, store=store, publication=COUNTING)


def test_a_redelivery_and_an_older_version_arriving_late_change_nothing(store, publisher):
    who = company()
    old = scored_event(blank_report(), who, version=1)
    new = scored_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), who, version=2)
    assert apply_assessment("event-old", old, store=store, publisher=publisher).changed
    assert not apply_assessment("event-old", old, store=store, publisher=publisher).changed
    assert apply_assessment("event-new", new, store=store, publisher=publisher).changed
    assert not apply_assessment("event-old", old, store=store, publisher=publisher).changed
    shown = figures(store)
    assert shown["assessed_reports"] == 1 and shown["outcomes"] == {"compliant": 1, "needs_more_time": 0}
    assert shown["steps"]["policy_and_chain_mapping_complete"] == 1


def test_a_member_is_counted_once(store):
    who = company()
    registered = payload("company_registered", {"company": who}).company
    assert usecases.count_member("event-1", registered, store=store)
    assert not usecases.count_member("event-1", registered, store=store)
    assert figures(store)["participation"]["members"]["NL"]["importer"]["end"] == 1


def test_a_companys_latest_verification_counts_once_in_the_years_figures(store):
    confirmed = {"covenant_year": 1, "company_id": "c-1", "report_id": "r-1", "version": 1, "result": "confirmed",
                 "verified_on": "2021-03-02", "sequence": 1}
    corrected = {**confirmed, "result": "corrected", "sequence": 2}
    usecases.apply_verification("e-1", events.typed("report_verified", confirmed), store=store)
    usecases.apply_verification("e-2", events.typed("report_verified", corrected), store=store)
    usecases.apply_verification("e-1", events.typed("report_verified", confirmed), store=store)  # late and redelivered
    usecases.apply_verification("e-3", events.typed("report_verified", {**confirmed, "company_id": "c-2"}), store=store)
    assert figures(store)["verification"] == {"verified": 2, "corrected": 1}


def test_a_case_counts_once_in_the_state_it_stands_in_and_its_totals_agree(store):
    filed = {"number": "K-2021-0001", "kind": "complaint", "covenant_year": 2}
    appeal = {**filed, "number": "K-2021-0002", "kind": "assessment_appeal"}
    usecases.apply_case_received("e-1", payload("case_received", filed), store=store)
    usecases.apply_case_received("e-2", payload("case_received", appeal), store=store)
    decided = {**appeal, "to_state": "decided", "at": "2021-03-20T10:00:00+00:00", "decision": {"outcome": "upheld"}}
    usecases.apply_case_step("e-3", payload("case_moved", decided), store=store)
    usecases.apply_case_received("e-2", payload("case_received", appeal), store=store)
    cases = figures(store, 2)["cases"]
    assert {kind: n for kind, n in cases["by_kind"].items() if n} == {"complaint": 1, "assessment_appeal": 1}
    assert {state: n for state, n in cases["by_state"].items() if n} == {"received": 1, "decided": 1}
    assert cases["appeals_upheld"] == 1
    assert sum(cases["by_kind"].values()) == sum(cases["by_state"].values()), "nothing hidden to work back"


def typed(*names, country="IN", state="IN-RJ"):
    return [scored_event(blank_report(quarry_regions=[{"country": country, "region": name, "state": state}]),
                         company(), report_id=f"r-{index}-{name}") for index, name in enumerate(names)]


def regions(store):
    return [(each["region"], each["state_name"], each["companies"]) for each in figures(store)["quarry_regions"]]


def test_an_unknown_region_counts_as_written_and_the_secretariat_hears_of_it_once(store, publisher):
    for index, scored in enumerate(typed("Kota", "kota", "Kota district", "KOTA", " Kota", "Kota")):
        apply_assessment(f"e-{index}", scored, store=store, publisher=publisher)
    assert regions(store) == [("Kota", "Rajasthan", 6)]  # as the first company wrote it
    alerts = publisher.of_type("unknown_region_reported")
    assert [each.data for each in alerts] == [{"country": "IN", "state": "IN-RJ", "region": "Kota",
                                               "covenant_year": 1}]
    assert [each["region"] for each in usecases.unknown_regions(store=store)] == ["Kota"]


def test_a_spelling_added_later_moves_the_counts_once_and_the_proof_agrees(store, publisher):
    scored = typed("Bundi", "Bundi", "Bundi", "Bundi", "Bundee", "Bundee")
    for index, each in enumerate(scored):
        apply_assessment(f"e-{index}", each, store=store, publisher=publisher)
    assert regions(store) == []  # 4 + 2: neither listed
    added = usecases.add_region("IN", "Rajasthan", "Bundi", ["Bundee"], store=store)
    assert added["contributions_recounted"] == 2
    assert added["region"]["variants"] == ["Boondi", "Bundee"]
    assert regions(store) == [("Bundi", "Rajasthan", 6)]
    assert usecases.unknown_regions(store=store) == []
    assert usecases.recount(store=store) == 0  # nothing moves twice
    for index, each in enumerate(scored):  # redelivered after the change: counted once still
        assert not apply_assessment(f"e-{index}", each, store=store, publisher=publisher).changed
    assert regions(store) == [("Bundi", "Rajasthan", 6)]

    proof = usecases.prove(1, store=store, scoring=PagedScoring(scored), submission=Nobody(), complaints=Nobody())
    assert proof["agrees"], proof["differences"]


class PagedScoring:
    """scoring's latest_assessments over events the test gives, a page of companies at a time."""

    def __init__(self, scored):
        self.scored = sorted(scored, key=lambda each: each["company"]["id"])
        self.pages = []

    def latest_assessments(self, year, after=None, limit=0):
        found = [{**each, "company_id": each["company"]["id"], "progress": None} for each in self.scored
                 if after is None or each["company"]["id"] > after][:limit or None]
        self.pages.append(len(found))
        return found

    def latest_verifications(self, year):
        return []


class Nobody:
    def list_members(self):
        return {"companies": [], "authorities": []}

    def cases_of_year(self, year):
        return []


def test_a_check_asked_for_runs_in_the_background_a_page_at_a_time_and_its_result_is_kept(store, publisher):
    clock = SettableClock("2021-01-05T09:00:00")
    scored = [scored_event(blank_report(), company(company_id=f"c-{number:03}"),
                           report_id=f"r-{number}") for number in range(230)]
    for index, each in enumerate(scored):
        apply_assessment(f"e-{index}", each, store=store, publisher=publisher)
    scoring = PagedScoring(scored)
    ports = dict(store=store, scoring=scoring, submission=Nobody(), complaints=Nobody(), clock=clock)

    asked = usecases.request_proof(1, "secretariat", store=store, clock=clock)
    assert (asked["state"], asked["checked"], asked["counted"], asked["result"]) == ("queued", 0, 230, None)
    assert usecases.request_proof(1, "secretariat", store=store, clock=clock)["id"] == asked["id"]  # not twice

    seen = []
    store_progress = store.proof_progress
    store.proof_progress = lambda *args: (store_progress(*args), seen.append(usecases.latest_proof(1, store=store)))
    assert usecases.run_requested_proof(**ports)
    pages = [usecases.PROOF_PAGE] * (230 // usecases.PROOF_PAGE) + [230 % usecases.PROOF_PAGE]
    assert scoring.pages == pages  # never the whole year in one answer
    assert [(each["state"], each["checked"]) for each in seen] == [
        ("running", sum(pages[:index + 1])) for index in range(len(pages))]
    done = usecases.latest_proof(1, store=store)
    assert done["state"] == "done" and done["result"]["agrees"] and done["result"]["reports"] == 230
    assert not usecases.run_requested_proof(**ports)  # nothing waits any more
    assert usecases.request_proof(1, "secretariat", store=store, clock=clock)["id"] != asked["id"]


def test_a_check_whose_runner_stopped_is_taken_up_again_once_its_lease_ran_out(store):
    clock = SettableClock("2021-01-05T09:00:00")
    ports = dict(store=store, scoring=PagedScoring([]), submission=Nobody(), complaints=Nobody(), clock=clock)
    usecases.request_proof(1, "secretariat", store=store, clock=clock)
    assert store.take_proof(clock.now(), usecases.PROOF_LEASE_SECONDS)  # a runner took it, then stopped
    assert not usecases.run_requested_proof(**ports)
    clock.set("2021-01-05T09:02:01")
    assert usecases.run_requested_proof(**ports)
    assert usecases.latest_proof(1, store=store)["state"] == "done"
    with pytest.raises(errors.NotFound):
        usecases.latest_proof(2, store=store)


def test_a_name_already_given_to_another_region_is_refused(store):
    with pytest.raises(errors.Invalid) as refused:
        usecases.add_region("IN", "IN-AP", "Prakasam", ["Chittoor"], store=store)
    assert refused.value.errors == {"variants.0": ["Already a name of Chittoor (Andhra Pradesh)."]}
    with pytest.raises(errors.Invalid) as refused:
        usecases.add_region("IN", "Tuscany", "Kota", [], store=store)
    assert "state" in refused.value.errors


def test_known_regions_of_a_country_and_state_are_what_the_portal_suggests(store):
    assert [each["name"] for each in usecases.known_regions("IN", "Andhra Pradesh", store=store)] == \
        ["Chittoor", "Prakasam"]
    assert {each["name"] for each in usecases.known_regions("IN", None, store=store)} == \
        {"Bundi", "Chittoor", "Prakasam", "Rangareddy"}


class Crashing:
    """A collection that fails its next `update_one` matching `when`, as a process killed there would."""

    def __init__(self, collection, when):
        self.collection, self.when, self.armed = collection, when, True

    def __getattr__(self, name):
        return getattr(self.collection, name)

    def update_one(self, selector, update, **options):
        if self.armed and self.when(selector):
            self.armed = False
            raise ConnectionError("killed")
        return self.collection.update_one(selector, update, **options)


@pytest.mark.parametrize("crash", ["before the shard", "after the shard"])
def test_a_change_a_crash_left_half_done_is_finished_once(store, publisher, crash):
    scored = typed("Bundi", "Bundi")
    apply_assessment("e-0", scored[0], store=store, publisher=publisher)
    if crash == "before the shard":
        store.shards = Crashing(store.shards, lambda selector: True)
    else:
        store.contributions = Crashing(store.contributions, lambda selector: "pending.change" in selector)
    with pytest.raises(ConnectionError):
        apply_assessment("e-1", scored[1], store=store, publisher=publisher)
    assert store.complete_pending(0) == 1
    assert store.complete_pending(0) == 0
    assert not apply_assessment("e-1", scored[1], store=store, publisher=publisher).changed  # redelivered
    assert figures(store)["assessed_reports"] == 2


def test_the_sums_are_split_over_a_few_documents_whatever_the_number_of_companies(store, publisher):
    for index, each in enumerate(typed(*(f"Region {n}" for n in range(200)))):
        apply_assessment(f"e-{index}", each, store=store, publisher=publisher)
    assert figures(store)["assessed_reports"] == 200
    from services.reporting.dependencies import SHARDS
    assert store.shards.count_documents({"figures": 1}) <= SHARDS
    assert store.contributions.count_documents({"figures": 1}) == 200


def test_an_assessment_applied_while_the_gazetteer_changes_is_placed_anew(store, publisher):
    from services.reporting.domain import Region
    applying = store.apply

    def secretariat_first(*args):  # the spelling is added, and its recount done, before this one lands
        store.apply = applying
        store.add_region(Region("IN", "IN-RJ", "Bundi", ("Bundee",)))
        usecases.recount(store=store)
        return applying(*args)
    store.apply = secretariat_first
    apply_assessment("e-1", typed("Bundee")[0], store=store, publisher=publisher)
    regions_counted = {name: value for name, value in store.counters(1).items() if name.startswith("region:")}
    assert regions_counted == {"region:IN:IN-RJ:bundi": 1}


def test_a_recount_cut_short_is_finished_by_the_timer(store, publisher):
    from services.reporting.domain import Region
    apply_assessment("e-1", typed("Bundee")[0], store=store, publisher=publisher)
    store.add_region(Region("IN", "IN-RJ", "Bundi", ("Bundee",)))  # the process stopped before its recount
    assert usecases.complete_pending(0, store=store) == 0
    regions_counted = {name: value for name, value in store.counters(1).items() if name.startswith("region:")}
    assert regions_counted == {"region:IN:IN-RJ:bundi": 1}
    assert not store.recount_due()


def test_a_region_known_without_its_state_takes_a_company_that_names_one(store, publisher):
    usecases.add_region("PT", None, "Estremoz", ["Estremós"], store=store)
    apply_assessment("e-1", typed("Estremós", country="PT", state="PT-07")[0], store=store,
                              publisher=publisher)
    assert [name for name in store.counters(1) if name.startswith("region:")] == ["region:PT::estremoz"]
    assert publisher.of_type("unknown_region_reported") == []


def test_a_state_nobody_knows_reaches_the_secretariat_once_and_placing_it_joins_the_counts(store, publisher):
    # Six companies source in a region nobody knows yet; two write its state in a way nobody knows either.
    scored = [*typed("Foo", "Foo", "Foo", "Foo"), *typed("Foo", "Foo", state="Rajastan")]
    scored += typed("Bundi", state="Rajastan")  # a known region: counted there, but the spelling is news too
    for index, each in enumerate(scored):
        apply_assessment(f"e-{index}", {**each, "report_id": f"r-{index}"}, store=store, publisher=publisher)
        apply_assessment(f"e-{index}", {**each, "report_id": f"r-{index}"}, store=store, publisher=publisher)
    assert [each.data for each in publisher.of_type("unknown_state_reported")] == [
        {"country": "IN", "state": "Rajastan", "region": "Foo", "covenant_year": 1}], "once per spelling"
    unknown = usecases.unknown_regions(store=store)
    assert [(each["kind"], each["state"], each["region"]) for each in unknown] == [
        ("region", "IN-RJ", "Foo"), ("region", "Rajastan", "Foo"), ("state", "Rajastan", "Foo")]
    assert regions(store) == [], "4 and 2: split by the state's spelling, neither listed"

    placed = usecases.add_state_name("IN", "Rajastan", "Rajasthan", store=store)
    assert (placed["state"], placed["state_name"], placed["contributions_recounted"]) == ("IN-RJ", "Rajasthan", 2)
    assert regions(store) == [("Foo", "Rajasthan", 6)], "counted together once the state is placed"
    assert [(each["kind"], each["region"]) for each in usecases.unknown_regions(store=store)] == [("region", "Foo")]
    assert usecases.recount(store=store) == 0
    apply_late = apply_assessment("e-new", {**typed("Foo", state="rajastan ")[0], "report_id": "r-new"},
                                           store=store, publisher=publisher)
    assert apply_late.changed and regions(store) == [("Foo", "Rajasthan", 7)]
    assert len(publisher.of_type("unknown_state_reported")) == 1, "a placed spelling is no news"


def test_a_state_spelling_is_placed_once_only_in_a_subdivision_of_its_country_and_moves_no_known_region(
        store, publisher):
    with pytest.raises(errors.Invalid) as refused:
        usecases.add_state_name("IN", "Rajastan", "NL-ZH", store=store)
    assert list(refused.value.errors) == ["state"]
    for known in ("Gujarat", "gujarat state"):  # a name everybody knows is not the secretariat's
        with pytest.raises(errors.Invalid) as refused:
            usecases.add_state_name("IN", known, "IN-RJ", store=store)
        assert refused.value.errors == {"name": ["Already a name of Gujarāt."]}, known
    for code in ("IN-GJ", "NL-UT"):
        with pytest.raises(errors.Invalid) as refused:
            usecases.add_state_name("IN", code, "IN-RJ", store=store)
        assert refused.value.errors == {"name": ["Give the name as companies wrote it, not a code."]}

    for index, each in enumerate([*typed("Foo", "Foo", state="Rajastan"), *typed("Bundi", state="Rajastan")]):
        apply_assessment(f"e-{index}", {**each, "report_id": f"r-{index}"}, store=store, publisher=publisher)
    usecases.add_state_name("IN", "Rajastan", "IN-GJ", store=store)
    assert [(each["kind"], each["state"]) for each in usecases.unknown_regions(store=store)] == [
        ("region", "IN-GJ")], "the region's row names the state it is now counted in"
    assert store.counters(1)[key("region", "IN", "IN-RJ", "bundi")] == 1, \
        "a known region stays where it was counted, whatever the state is placed as"
    with pytest.raises(errors.Invalid) as refused:
        usecases.add_state_name("IN", "rajastan", "IN-RJ", store=store)
    assert refused.value.errors == {"name": ["Already a name of Gujarāt."]}


# --- editions: what the public reads ----------------------------------------------------------------------

def release(store, clock=None):
    return usecases.release(1, "secretariat", store=store, publication=PUBLISHING,
                            clock=clock or SettableClock("2021-01-05T10:00:00+00:00"))


def public(store, edition=None):
    return usecases.figures(1, store=store, publication=PUBLISHING, edition=edition)


def assess(store, publisher, *scored):
    for each in scored:
        assert apply_assessment(f"e-{each['report_id']}-{each['ordinal']}", each, store=store,
                                         publisher=publisher).changed


def test_nothing_is_public_before_the_first_edition_and_it_waits_for_three_companies(store, publisher):
    first, second, third = (company() for _ in range(3))
    assess(store, publisher, scored_event(blank_report(), first), scored_event(blank_report(), second))
    with pytest.raises(errors.NotPublished):
        public(store)
    assert usecases.editions(1, store=store) == {"covenant_year": 1, "editions": [], "next_edition_due": None}
    with pytest.raises(errors.Invalid) as refused:
        release(store)
    assert refused.value.errors["covenant_year"][0].startswith("1 more company: ")
    assert usecases.live_figures(1, store=store, publication=PUBLISHING)["release"]["companies_needed"] == 1

    assess(store, publisher, scored_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), third))
    edition = release(store)
    assert (edition["number"], edition["companies_changed"], edition["released_by"]) == (1, 3, "secretariat")
    shown = public(store)
    assert shown["edition"]["number"] == 1 and shown["assessed_reports"] == 3
    assert shown["outcomes"] == {"compliant": 1, "needs_more_time": 2}


def test_a_reader_learns_nothing_until_three_companies_changed_whatever_changed(store, publisher):
    companies = [company() for _ in range(6)]
    assess(store, publisher, *(scored_event(blank_report(), each) for each in companies[:3]))
    release(store)
    first = public(store)

    # a second version, a verification correction, a case, a placement of a region: no new edition
    assess(store, publisher, scored_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), companies[0],
                                          version=2))
    usecases.apply_verification("v-1", events.typed("report_verified", {
        "covenant_year": 1, "company_id": companies[0]["id"], "report_id": "r", "version": 2, "result": "corrected",
        "verified_on": "2021-03-02", "sequence": 1}), store=store)
    usecases.apply_case_received("c-1", payload("case_received", {
        "number": "K-2020-0001", "kind": "complaint", "covenant_year": 1}), store=store)
    assert public(store) == first
    live = usecases.live_figures(1, store=store, publication=PUBLISHING)
    assert live["release"]["companies_changed"] == 1 and live["release"]["companies_needed"] == 2
    assert {(each["figure"], each["item"]) for each in live["release"]["changes"]} >= {("outcomes", "compliant")}
    with pytest.raises(errors.Invalid) as refused:
        release(store)
    assert refused.value.errors["covenant_year"][0].startswith("2 more companies: ")
    assert public(store) == first

    assess(store, publisher, scored_event(blank_report(), companies[3]))
    with pytest.raises(errors.Invalid):
        release(store)
    assess(store, publisher, scored_event(blank_report(), companies[4]))
    second = release(store)
    assert (second["number"], second["companies_changed"]) == (2, 3)
    assert public(store)["outcomes"] == {"compliant": 1, "needs_more_time": 4}
    assert public(store)["cases"]["by_kind"]["complaint"] == 1
    assert public(store, edition=1) == first, "an earlier edition stays as it was released"
    assert [each["number"] for each in usecases.editions(1, store=store)["editions"]] == [1, 2]
    with pytest.raises(errors.NotFound):
        public(store, edition=3)


def test_a_correction_on_appeal_and_a_rescoring_each_count_as_one_companys_change(store, publisher):
    companies = [company() for _ in range(3)]
    assess(store, publisher, *(scored_event(blank_report(), each) for each in companies))
    release(store)
    first = public(store)
    better = with_steps_1_and_21(blank_report(plan_of_approach=True))
    corrected = {**scored_event(better, companies[0]), "ordinal": {"report_version": 1, "framework_version": 1, "correction": 1}}  # version 1, corrected once
    rescored = {**scored_event(better, companies[1], framework_version=2), "ordinal": {"report_version": 1, "framework_version": 2, "correction": 0}}
    assess(store, publisher, corrected, rescored)
    assert usecases.live_figures(1, store=store, publication=PUBLISHING)["release"]["companies_changed"] == 2
    with pytest.raises(errors.Invalid):
        release(store)
    assert public(store) == first


def test_a_change_undone_before_the_next_edition_is_no_change(store, publisher):
    companies = [company() for _ in range(3)]
    assess(store, publisher, *(scored_event(blank_report(), each) for each in companies))
    release(store)
    assess(store, publisher, scored_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), companies[0],
                                          version=2),
           scored_event(blank_report(), companies[0], version=3))
    assert usecases.live_figures(1, store=store, publication=PUBLISHING)["release"]["companies_changed"] == 0


def test_a_change_a_crash_left_half_done_is_in_the_edition_that_counts_it(store, publisher):
    companies = [company() for _ in range(3)]
    assess(store, publisher, *(scored_event(blank_report(), each) for each in companies[:2]))
    store.shards = Crashing(store.shards, lambda selector: True)
    with pytest.raises(ConnectionError):
        apply_assessment("e-3", scored_event(blank_report(), companies[2]), store=store, publisher=publisher)
    release(store)
    assert public(store)["assessed_reports"] == 3


def test_regions_placed_later_count_as_the_companies_changes(store, publisher):
    scored = typed("Bundi", "Bundi", "Bundi", "Bundi", "Bundee", "Bundee")
    assess(store, publisher, *scored)
    release(store)
    assert public(store)["quarry_regions"] == []
    usecases.add_region("IN", "Rajasthan", "Bundi", ["Bundee"], store=store)  # moves two companies
    assert usecases.live_figures(1, store=store, publication=PUBLISHING)["release"]["companies_changed"] == 2
    assert public(store)["quarry_regions"] == []


class Calendars:
    def list_calendars(self):
        return [{"covenant_year": 1, "due_date": "2020-12-31", "catch_up_date": "2021-04-01"}]


def test_editions_are_released_on_the_frameworks_dates_once_enough_changed(store, publisher):
    clock = SettableClock("2020-12-20T09:00:00+00:00")

    def when_due():
        return usecases.release_when_due(store=store, publication=PUBLISHING, clock=clock, scoring=Calendars())
    assess(store, publisher, *(scored_event(blank_report(), company()) for _ in range(2)))
    assert when_due() == []
    with pytest.raises(errors.NotPublished) as unpublished:
        public(store)
    assert unpublished.value.next_edition_due.isoformat() == "2021-01-01"
    clock.set("2021-01-01T00:01:00+00:00")
    assert when_due() == [], "two companies: the scheduled edition waits"
    assess(store, publisher, scored_event(blank_report(), company()))
    assert when_due() == [1]
    assert public(store)["edition"]["released_by"] == "schedule"
    assert when_due() == [], "released once"
    assert usecases.editions(1, store=store)["next_edition_due"].isoformat() == "2021-04-02"
    assess(store, publisher, *(scored_event(blank_report(), company()) for _ in range(3)))
    clock.set("2021-04-02T00:01:00+00:00")
    assert when_due() == [1]
    assert usecases.editions(1, store=store)["next_edition_due"] is None


def test_one_release_of_a_year_at_a_time(store, publisher):
    holder = store.lease_release(1)
    assert holder and store.lease_release(1) is None, "a second releaser waits"
    with pytest.raises(errors.Unavailable):
        release(store)
    assert store.lease_release(2) is not None, "another year is another lease"
    store.end_lease(1, holder)
    assert store.lease_release(1, seconds=-1) is not None, "a lease a crashed releaser left ..."
    assert store.lease_release(1) is not None, "... runs out"
