"""What the reporting service does, as plain functions taking their ports (no nameko).

Ports: `store` (SectorStore), `publication` (targets and disclosure rules), `publisher` (events: the
secretariat's alert of a region name nobody knew), `scoring` and `submission` (the other services:
`latest_assessments`, `list_members`), used by the proof only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from common import covenant, errors, events, i18n, outbox, places, problems, vocabulary
from common.logging import get_logger
from services.reporting import domain, render
from common.events import Ordinal
from services.reporting.domain import PARTICIPATION, Region

log = get_logger(__name__)
REGISTRATION = [1, 0]  # the ordinal of a registration, which is never replaced


@dataclass(frozen=True)
class Applied:
    covenant_year: int
    changed: bool


def apply_assessment(event_id: str, scored, *, store, publisher) -> Applied:
    """Replaces the company's contribution to its year's figures with this assessment's (`scored`: a
    report_scored payload, `events.typed`); a redelivery, or an assessment older than the one applied,
    changes nothing. A quarry region the gazetteer does not know is counted as the company wrote it, and
    the secretariat is alerted to the name, once."""
    gazetteer, ordinal = store.gazetteer(), Ordinal.of(scored.ordinal)
    # The counting rules read the report and assessment as JSON, as they read a proof's (domain.contribution).
    report = events.data_of(scored.report)
    changed = store.apply(
        scored.covenant_year, scored.company.id, domain.placed(ordinal),
        domain.contribution(report, events.data_of(scored.assessment), events.data_of(scored.company),
                            events.data_of(scored.progress), gazetteer),
        event_id)
    log.info("assessment applied to the sector figures" if changed
             else "assessment already applied or superseded", report_id=scored.report_id,
             ordinal=ordinal.to_data())
    if changed and store.gazetteer().revision != gazetteer.revision:
        recount(store=store)  # the secretariat changed the gazetteer meanwhile: its recount may have missed this
        gazetteer = store.gazetteer()
    if changed:
        for place in gazetteer.places_of(report):
            if not place.known:
                _alert_new_name("region", place.key, place, scored.covenant_year, store=store, publisher=publisher)
        for state in gazetteer.unknown_states(report):
            _alert_new_name("state", state.key, state, scored.covenant_year, store=store, publisher=publisher)
    return Applied(scored.covenant_year, changed)


def _alert_new_name(kind: str, name_key: str, named, covenant_year: int, *, store, publisher) -> None:
    """The secretariat hears of a region's or a state's name nobody knew (`named`: a Place or an
    UnknownState), once: the event is kept with the name (its outbox)."""
    if store.name_recorded(name_key):  # the usual case once a name has been seen: one read, no event made
        return
    name = {"country": named.country, "state": named.state, "region": named.region}
    event = publisher.new(f"unknown_{kind}_reported", {**name, "covenant_year": covenant_year})
    kept = store.record_name(name_key, {"kind": kind, **name}, covenant_year, event)
    if kept is not None:
        outbox.publish(kept, publisher)


# --- the gazetteer of quarry regions ------------------------------------------------------------------

def known_regions(country: str | None, state: str | None, *, store) -> list[dict]:
    """The known regions, of a country and subdivision when given (what the portal suggests)."""
    code = _state(country, state) if country and state else None
    return [{"country": each.country, "state": each.state,
             "state_name": places.state_label(each.state),
             "name": each.name, "variants": list(each.variants)}
            for each in sorted(store.gazetteer().regions, key=lambda each: (each.country, each.state or "", each.name))
            if (country is None or each.country == country) and (code is None or each.state == code)]


def unknown_regions(*, store) -> list[dict]:
    """The names companies used that the gazetteer does not (yet) place, oldest first: regions (`kind`
    "region") and states ("state", with the region it was first written for)."""
    gazetteer, listed, seen = store.gazetteer(), [], set()
    for each in store.unknown_names():
        if each["kind"] == "state":
            unknown, where = gazetteer.state_code(each["country"], each["state"]) is None, each["key"]
        else:  # two names the gazetteer now counts as one place (its state was placed) are listed once
            place = gazetteer.place(each["country"], each["state"], each["region"])
            unknown, where, each = not place.known, place.key, {**each, "state": place.state}
        if unknown and where not in seen:
            seen.add(where)
            listed.append(each)
    return listed


def add_state_name(country: str, name: str, state: str, *, store) -> dict:
    """Places a state spelling nobody knew: `name` in `country` is the subdivision `state` (its code or a
    known name); then every company that wrote it is counted where the gazetteer now places its regions."""
    code, name = _state(country, state), places.cleaned(name)
    if places.CODE.match(name):
        raise errors.Invalid.at("name", problems.NAME_NOT_CODE())
    # A name everybody knows is not the secretariat's to move; nor is one it placed: the figures keep where
    # a placement counted a region, not how its state was written, so a second placement could not move it.
    already = store.gazetteer().state_code(country, name)
    if already is not None:
        raise errors.Invalid.at("name", problems.ALREADY_A_STATE_NAME(state=already))
    revision = store.add_state_name(domain.StateName(country, name, code))
    recounted = recount(store=store)
    log.info("gazetteer changed", revision=revision, recounted=recounted)
    return {"country": country, "name": name, "state": code, "state_name": places.state_label(code),
            "revision": revision, "contributions_recounted": recounted}


def add_region(country: str, state: str | None, name: str, variants: list[str], *, store) -> dict:
    """Adds a quarry region to the gazetteer, or spellings to a known one, then counts every company that
    used one of its names under it, through the same path as an assessment (exactly once)."""
    code = _state(country, state) if state else None
    name, variants = places.cleaned(name), [places.cleaned(each) for each in variants]
    gazetteer = store.gazetteer()
    refused = {}
    for field, each in [("name", name), *((f"variants.{index}", each) for index, each in enumerate(variants))]:
        found = gazetteer.find(country, code, each)
        if found is not None and (found.state != code or places.comparison_form(found.name) !=
                                  places.comparison_form(name)):
            refused[field] = [problems.ALREADY_A_REGION_NAME(region=found.name, state=found.state,
                                                             country=found.country)]
    if refused:
        raise errors.Invalid(refused)
    revision = store.add_region(Region(country, code, name, tuple(variants)))
    recounted = recount(store=store)
    log.info("gazetteer changed", revision=revision, recounted=recounted)
    region = next(each for each in known_regions(country, code, store=store)
                  if places.comparison_form(each["name"]) == places.comparison_form(name))
    return {"region": region, "revision": revision, "contributions_recounted": recounted}


def recount(*, store) -> int:
    """Moves every contribution whose regions the gazetteer now places elsewhere; returns how many moved.
    Idempotent: a second run moves nothing."""
    gazetteer = store.gazetteer()
    moved = 0
    for year, contributor, ordinal, counters in list(store.company_contributions()):
        placed = gazetteer.recounted(counters)
        if placed != counters and store.apply(year, contributor, domain.placed(ordinal, gazetteer.revision),
                                              placed, f"gazetteer:{gazetteer.revision}"):
            moved += 1
    store.recounted(gazetteer.revision)
    return moved


def _state(country: str, state: str) -> str:
    try:
        found = places.resolve_state(country, state)
    except places.PlaceError as exc:
        raise errors.Invalid.at("state", exc.problem) from None
    if found is None:
        raise errors.Invalid.at("state", problems.UNKNOWN_SUBDIVISION(country=country))
    return found.code


def apply_case_received(event_id: str, received, *, store) -> Applied:
    """Counts a new case (a case_received payload) in its covenant year's figures, as received: the first
    of its steps."""
    return _apply_case(event_id, received, "received", False, [0], store=store)


def apply_case_step(event_id: str, moved, *, store) -> Applied:
    """A case's step (a case_moved payload), ordered among the case's steps by when it was taken
    (microseconds); a decided appeal upheld in whole or part counts as upheld."""
    moved_at = int(datetime.fromisoformat(moved.at).timestamp() * 1_000_000)
    upheld = moved.decision is not None and moved.decision.outcome in ("upheld", "upheld_in_part")
    return _apply_case(event_id, moved, moved.to_state, upheld, [moved_at], store=store)


def _apply_case(event_id: str, case, state: str, upheld: bool, ordinal: list[int], *, store) -> Applied:
    """Counts a complaints case in its covenant year's figures, as it now stands (once per step)."""
    changed = store.apply(case.covenant_year, domain.case_contributor(case.number), ordinal,
                          domain.case_contribution(case.kind, state, upheld), event_id)
    return Applied(case.covenant_year, changed)


def apply_verification(event_id: str, verified, *, store) -> Applied:
    """Counts a sampled company's latest verification (a report_verified payload, `events.typed`) in its
    year's figures (once; a later record, of a higher sequence, replaces an earlier one)."""
    changed = store.apply(verified.covenant_year, domain.verification_contributor(verified.company_id),
                          [verified.sequence], domain.verification_contribution(verified.result), event_id)
    return Applied(verified.covenant_year, changed)


def complete_pending(older_than_seconds: float, *, store) -> int:
    """Finishes what a crash left between a contribution and the sums (each change is added once), and a
    recount of the regions a crash cut short."""
    finished = store.complete_pending(older_than_seconds)
    if finished:
        log.warning("changes to the sector figures finished after an interruption", count=finished)
    if store.recount_due():  # a change to the gazetteer whose recount was cut short
        recount(store=store)
    return finished


def count_member(event_id: str, company, *, store) -> bool:
    """Counts a member company (a company_registered event's, typed) once; returns whether this call
    counted it."""
    return store.apply(PARTICIPATION, company.id, REGISTRATION,
                       domain.member_contribution(events.data_of(company)), event_id)


def count_authority(event_id: str, authority, *, store) -> bool:
    """Counts a contracting authority (an authority_registered event's, typed) once; returns whether this
    call counted it."""
    return store.apply(PARTICIPATION, authority.id, REGISTRATION,
                       domain.authority_contribution(events.data_of(authority)), event_id)


def figures(covenant_year: int, *, store, publication, edition: int | None = None) -> dict:
    """The public figures of a year: its latest released edition, or edition number `edition`. NotFound for
    an edition that does not exist; NotPublished (with the date the next is due) before the first."""
    found = store.edition(covenant_year, edition) if edition else store.latest_edition(covenant_year, True)
    if found is not None:
        return {**found["figures"], "edition": _edition_summary(found)}
    if edition:
        raise errors.NotFound(problems.NO_EDITION(covenant_year=covenant_year, edition=edition))
    due = _next_due(covenant_year, None, store=store)
    raise errors.NotPublished(problems.NOT_PUBLISHED(covenant_year=covenant_year), next_edition_due=due)


def editions(covenant_year: int, *, store) -> dict:
    """The year's released editions, oldest first, and when the next is due (where one is scheduled)."""
    released = store.editions_of(covenant_year)
    return {"covenant_year": covenant_year, "editions": [_edition_summary(each) for each in released],
            "next_edition_due": _next_due(covenant_year, released[-1] if released else None, store=store)}


def live_figures(covenant_year: int, *, store, publication, language: str = "en") -> dict:
    """The secretariat's view: the figures as an edition released now would publish them, and what it would
    change since the latest edition (how many companies' contributions changed, how many more are needed),
    each change named in `language`."""
    live = _published(covenant_year, store.counters(covenant_year), store.counters(PARTICIPATION),
                      store=store, publication=publication)
    latest = store.latest_edition(covenant_year, True)
    changed = domain.companies_changed(store.unreleased_contributors(covenant_year))
    needed = domain.companies_needed(len(changed), publication.disclosure)
    return {**live, "edition": None, "release": {
        "latest_edition": _edition_summary(latest) if latest else None,
        "companies_changed": len(changed), "companies_needed": needed, "can_release": needed == 0,
        "next_edition_due": _next_due(covenant_year, latest, store=store),
        "changes": [{**each, "words": render.figure_words(each["figure"], each["item"], language)}
                    for each in domain.changes(latest["figures"] if latest else None, live)]}}


def release(covenant_year: int, released_by: str, *, store, publication, clock) -> dict:
    """Releases a new edition of the year's figures: a frozen copy of the sums as they stand (never a
    recount), only when at least `min_companies` companies' contributions differ from the edition before;
    otherwise Invalid, saying how many more are needed."""
    holder = store.lease_release(covenant_year)
    if holder is None:
        raise errors.Unavailable("Another edition of this year is being released; try again in a minute.")
    try:
        snapshot = store.release_snapshot(covenant_year)
        latest = store.latest_edition(covenant_year)
        changed = domain.companies_changed(contributor for _, contributor, _ in snapshot.changed)
        needed = domain.companies_needed(len(changed), publication.disclosure)
        if needed:
            raise errors.Invalid.at("covenant_year", problems.TOO_FEW_CHANGED(
                needed=needed, min_companies=publication.disclosure.min_companies, changed=len(changed),
                since=latest["number"] if latest else None))
        edition = {"covenant_year": covenant_year, "number": (latest["number"] if latest else 0) + 1,
                   "released_at": clock.now(), "released_by": released_by, "companies_changed": len(changed),
                   "figures": _published(covenant_year, snapshot.sums, snapshot.participation, store=store,
                                         publication=publication)}
        # Marked first: a crash before the edition is kept leaves those changes counted in no edition, so the
        # next one waits for more (never fewer) companies.
        store.mark_released(snapshot)
        store.add_edition(edition)
    finally:
        store.end_lease(covenant_year, holder)
    log.info("edition released", covenant_year=covenant_year, number=edition["number"], released_by=released_by,
             companies_changed=len(changed))
    return _edition_summary(edition)


def release_when_due(*, store, publication, clock, scoring) -> list[int]:
    """Releases each year's edition scheduled by its framework (the day after its due date and after its
    catch-up date) that no edition has answered yet; one that lacks enough changes waits for them."""
    store.keep_release_dates({calendar.covenant_year: [day.isoformat() for day in calendar.release_dates]
                              for calendar in covenant.calendars(scoring.list_calendars())})
    today, released = clock.now().date(), []
    for covenant_year in store.scheduled_years():
        latest = store.latest_edition(covenant_year)
        due = _next_due(covenant_year, latest, store=store)
        if due is None or due > today:
            continue
        try:
            release(covenant_year, "schedule", store=store, publication=publication, clock=clock)
            released.append(covenant_year)
        except errors.Invalid:
            log.info("scheduled edition waits for more changes", covenant_year=covenant_year, due=due.isoformat())
    return released


def _published(covenant_year: int, counters: dict | None, participation: dict | None, *, store,
               publication) -> dict:
    """The figures as published from sums (suppression applied); NotFound for a year with neither data nor
    targets."""
    targets = publication.targets_of(covenant_year)
    if counters is None and targets is None:
        raise errors.NotFound(problems.NO_FIGURES(covenant_year=covenant_year))
    listed = domain.listed_regions(counters or {}, publication.disclosure)
    gazetteer = store.gazetteer()
    recorded = store.named_places([name for name in listed if gazetteer.named(name) is None])
    return domain.figures(covenant_year, counters or {}, participation or {}, targets,
                          publication.disclosure, domain.shown_places(listed, gazetteer, recorded))


def _edition_summary(edition: dict) -> dict:
    return {"number": edition["number"], "released_at": edition["released_at"],
            "released_by": edition["released_by"], "companies_changed": edition["companies_changed"]}


def _next_due(covenant_year: int, latest: dict | None, *, store) -> date | None:
    dates = [date.fromisoformat(each) for each in store.release_dates_of(covenant_year)]
    return domain.next_edition_due(dates, _day(latest["released_at"]) if latest else None)


def _day(moment) -> date:
    return (moment if isinstance(moment, datetime) else datetime.fromisoformat(str(moment))).date()


PROOF_PAGE = 25  # companies per request to scoring: no message carries a year of reports, and the
# embedded platform, all services on one event loop, serves others between two pages
PROOF_LEASE_SECONDS = 120  # a check whose runner stopped this long ago is taken up by another


def prove(covenant_year: int, *, store, scoring, submission, complaints, progress=None,
          language: str | None = None) -> dict:
    """Recomputes the year's counters from scoring's latest assessments (asked for a page of companies at a
    time), and participation from submission's members (a different path from the events), and compares
    them with the incremental state. `progress(reports checked)` is called after each page. With a
    `language`, each difference is named in people's words in it too (`worded`)."""
    gazetteer = store.gazetteer()
    sums, reports, after = [], 0, None
    while True:
        page = scoring.latest_assessments(covenant_year, after=after, limit=PROOF_PAGE)
        sums.append(domain.summed(
            domain.contribution(each["report"], each["assessment"], each["company"],
                                # a scoring instance not yet upgraded answers without `progress`
                                each.get("progress") or vocabulary.progress(each["assessment"]["criteria"]),
                                gazetteer)
            for each in page))
        reports += len(page)
        if progress:
            progress(reports)
        if len(page) < PROOF_PAGE:
            break
        after = page[-1]["company_id"]
    verified = scoring.latest_verifications(covenant_year)
    recomputed = domain.summed([*sums, *(domain.verification_contribution(each["result"]) for each in verified),
                                *(domain.case_contribution(each["kind"], each["state"], each["appeal_upheld"])
                                  for each in complaints.cases_of_year(covenant_year))])
    found = domain.differences(recomputed, store.counters(covenant_year) or {})
    members = submission.list_members()
    participation = domain.summed([domain.member_contribution(each) for each in members["companies"]] +
                                  [domain.authority_contribution(each) for each in members["authorities"]])
    found += domain.differences(participation, store.counters(PARTICIPATION) or {})
    if found:
        log.error("sector figures differ from a recomputation", covenant_year=covenant_year,
                  differences=len(found))
    result = {"covenant_year": covenant_year, "reports": reports,
              "members": len(members["companies"]) + len(members["authorities"]),
              "agrees": not found, "differences": found}
    return worded(result, language, store=store) if language else result


def worded(proof: dict, language: str, *, store) -> dict:
    """A proof's result with each difference's counter in people's words in `language` (`words`), so that
    no reader needs the counter keys' grammar; kept results are worded when read, in the reader's language."""
    if not proof["differences"]:
        return proof
    regions = render.region_names(known_regions(None, None, store=store))
    return {**proof, "differences": [
        {**each, "words": render.counter_words(each.get("parts") or each["counter"], language,
                                               day=lambda value: i18n.day(value, language), regions=regions)}
        for each in proof["differences"]]}


# --- the same check in the background: asked for, run by a timer, its progress and result kept ------------

def request_proof(covenant_year: int, requested_by: str, *, store, clock, language: str = "en") -> dict:
    """Starts a check of the year's figures, unless one is waiting or running (then that one)."""
    return _proof_shown(store.add_proof(covenant_year, requested_by, clock.now()), store=store, language=language)


def run_requested_proof(*, store, scoring, submission, complaints, clock) -> bool:
    """Runs the oldest waiting check (one at a time per runner); False when none waits."""
    proof = store.take_proof(clock.now(), PROOF_LEASE_SECONDS)
    if proof is None:
        return False
    result = prove(proof["covenant_year"], store=store, scoring=scoring, submission=submission,
                   complaints=complaints, progress=lambda checked: store.proof_progress(
                       proof["_id"], checked, clock.now(), PROOF_LEASE_SECONDS))
    store.finish_proof(proof["_id"], result, clock.now())
    return True


def latest_proof(covenant_year: int, *, store, language: str = "en") -> dict:
    """The year's latest check: waiting, running (with how many reports it checked of how many are
    counted) or done (with its result, each difference in words in `language`)."""
    proof = store.latest_proof(covenant_year)
    if proof is None:
        raise errors.NotFound()
    return _proof_shown(proof, store=store, language=language)


def _proof_shown(proof: dict, *, store, language: str) -> dict:
    counted = (store.counters(proof["covenant_year"]) or {}).get(domain.key("assessed"), 0)
    return {"id": proof["_id"], "covenant_year": proof["covenant_year"], "state": proof["state"],
            "requested_at": proof["requested_at"], "finished_at": proof.get("finished_at"),
            "checked": proof["checked"], "counted": counted,
            "result": worded(proof["result"], language, store=store) if proof["result"] else None}
