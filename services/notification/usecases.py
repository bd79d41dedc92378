"""What the notification service does, as plain functions taking their ports (no nameko).

Ports: `store` (NoticeStore), `channels` (Channels: e-mail and webhooks, with the delivery policy and the
real time deliveries run on), `clock` (the business calendar's `now()`, injectable), `scoring` (the
scoring service: `get_framework`, `list_calendars`).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from common import covenant, errors, events, problems
from common.identity import Caller
from common.logging import get_logger
from services.notification import domain
from services.notification.domain import Notice

log = get_logger(__name__)


class WebhookRemoved(LookupError):
    """Its owner removed the webhook: retrying cannot help."""


@dataclass
class Sent:
    """What a use case did: notices created (by kind) and delivery attempts (channel kind, result)."""
    notices: list[str] = field(default_factory=list)
    deliveries: list[tuple[str, str]] = field(default_factory=list)

    def add(self, other: "Sent") -> "Sent":
        self.notices += other.notices
        self.deliveries += other.deliveries
        return self


# --- notices ----------------------------------------------------------------------------------------


REPLAYED = {"state": "skipped", "attempts": 0, "error": "restored by a replay: not sent again"}


def notify(notice: Notice, *, store, channels, replayed: bool = False) -> Sent:
    """Stores the notice once and delivers it; a second cause of the same notice does nothing. A notice
    `replayed` (restored from an event sent again to rebuild this service) goes to the inbox only: it was
    sent when the event first came."""
    deliveries = {"email": REPLAYED} if replayed else plan(notice, store=store, channels=channels)
    if not store.add(notice, deliveries):
        return Sent()
    log.info("notice created", notice_key=notice.key, kind=notice.kind)
    if notice.recipient_role == domain.COMPLAINANT and deliveries["email"]["state"] != "pending":
        store.forget_address(notice.key)
    due = [channel for channel, state in deliveries.items() if state["state"] == "pending"]
    return Sent([notice.kind]).add(deliver(notice.key, due, store=store, channels=channels))


def plan(notice: Notice, *, store, channels) -> dict[str, dict]:
    """The channels a notice goes out on, besides the inbox: e-mail when a server and an address are
    known, and each webhook its recipient registered."""
    fresh = {"state": "pending", "attempts": 0, "next_attempt_at": channels.now()}
    if notice.recipient_role == domain.SECRETARIAT:
        address = channels.secretariat_email
    elif notice.recipient_role == domain.COMPLAINANT or "email" in notice.about:
        # a complainant, known only by the address it gave with its case; a member its cause names the
        # address of (a commission member's own, not the commission's)
        address = notice.about.get("email")
    elif notice.recipient_role == domain.COMMISSION:
        address = channels.commission_email
    else:
        company = store.company(notice.recipient_id)
        address = company["email"] if company else None
    if channels.email_enabled and address:
        deliveries = {"email": {**fresh, "to": address}}
    else:
        deliveries = {"email": {"state": "skipped", "attempts": 0,
                                "error": "no e-mail address" if channels.email_enabled
                                else "no SMTP server configured"}}
    for webhook in store.webhooks_of(notice.recipient_role, notice.recipient_id):
        deliveries[f"webhook-{webhook['_id']}"] = {**fresh, "url": webhook["url"]}
    return deliveries


def deliver(key: str, due: list[str], *, store, channels) -> Sent:
    """Sends the due deliveries among `due` of one notice, each claimed first so that it is sent once;
    a failure is retried with backoff up to the policy's attempts, then recorded as failed."""
    sent = Sent()
    for channel in due:
        now = channels.now()
        claimed = store.claim(key, channel, now)
        if claimed is None:
            continue
        attempts = claimed["deliveries"][channel].get("attempts", 0) + 1
        try:
            _send(claimed, channel, store=store, channels=channels)
        except Exception as exc:  # noqa: BLE001 - any failure of the channel: retry later, or give up
            # Why it failed goes to the operators' log only: a recipient sees "pending" (will retry) or
            # "failed" (given up), never what its target answered or which address refused it.
            log.warning("delivery failed", notice_key=key, channel=channel, attempt=attempts,
                        error=f"{type(exc).__name__}: {exc}"[:500])
            if attempts >= channels.max_attempts or isinstance(exc, WebhookRemoved):
                store.settle(key, channel, "failed", attempts, now)
                result = "failed"
            else:
                store.settle(key, channel, "pending", attempts, now,
                             now + domain.backoff(attempts, channels.backoff_seconds))
                result = "pending"
        else:
            store.settle(key, channel, "delivered", attempts, now)
            result = "delivered"
        if channel == "email" and result != "pending" and claimed["recipient_role"] == domain.COMPLAINANT:
            store.forget_address(key)
        sent.deliveries.append((channel.split("-")[0], result))
    return sent


def _send(notice: dict, channel: str, *, store, channels) -> None:
    if channel == "email":
        channels.mail(notice, notice["deliveries"]["email"]["to"])
        return
    webhook = store.webhook(channel.removeprefix("webhook-"))
    if webhook is None:
        raise WebhookRemoved("the webhook was removed")
    channels.post(notice, webhook)


def retry_deliveries(*, store, channels) -> Sent:
    """Deliveries that failed and are due again, or that a crash left half done."""
    sent = Sent()
    for notice in store.with_undelivered():
        if not notice["undelivered"]:  # its last delivery settled, and the process stopped before it left
            store.leave_retries(notice["_id"])
        sent.add(deliver(notice["_id"], notice["undelivered"], store=store, channels=channels))
    return sent


# --- on events --------------------------------------------------------------------------------------

def _rebuilding(replayed: bool, *, store, clock) -> None:
    """An event sent again by a replay marks this service as rebuilt, today (see `send_reminders`)."""
    if replayed:
        store.note_rebuild(clock.now())


# The handlers hand these their event's typed payload (`events.typed`); the notices' rules (`domain`) and
# the store read the event's data as JSON, as they read a stored assessment: `events.data_of` converts.

def remember_company(company, *, store, clock=None, replayed: bool = False) -> None:
    """Who the members are (a company_registered event's company): obligation, language and e-mail address."""
    if clock is not None:
        _rebuilding(replayed, store=store, clock=clock)
    store.register_company(events.data_of(company))


def confirm_receipt(submitted, *, store, channels, clock, replayed: bool = False) -> Sent:
    _rebuilding(replayed, store=store, clock=clock)
    receipt = domain.receipt(events.data_of(submitted), clock.now())  # decided before anything is written
    store.register_company(events.data_of(submitted.company))
    store.record_submission(submitted.company.id, submitted.covenant_year,
                            datetime.fromisoformat(submitted.submitted_at), submitted.version)
    return notify(receipt, store=store, channels=channels, replayed=replayed)


def announce_outcome(scored, *, store, channels, clock, secretariat_language: str,
                     replayed: bool = False) -> Sent:
    """The outcome to the company; an extension, an alert or a 'now compliant' where the outcome calls
    for one. The company's standing for the year follows its newest assessment only, and the notices
    that say it changed are decided from it (`domain.on_scored`)."""
    _rebuilding(replayed, store=store, clock=clock)
    own_date = store.extension(scored.company.id, scored.covenant_year)
    # The standing and what came before it are the decision's record: a redelivery decides as the first did.
    standing = store.record_standing(events.data_of(scored))
    now = clock.now()
    notices = domain.on_scored(scored, now, own_date, secretariat_language, standing)
    if standing.successor:  # it came late, just before the latest: the latest's changes, decided again
        notices += [each for each in domain.on_scored(standing.successor, now, own_date, secretariat_language,
                                                      domain.Standing(replaced=scored.assessment.outcome))
                    if each.kind in domain.CHANGE_KINDS]
    store.register_company(events.data_of(scored.company))
    sent = Sent()
    for notice in notices:
        sent.add(notify(notice, store=store, channels=channels, replayed=replayed))
    return sent


def announce_sample(drawn, *, store, channels, clock, replayed: bool = False) -> Sent:
    """Each company whose report was drawn for verification is told."""
    _rebuilding(replayed, store=store, clock=clock)
    sent = Sent()
    for sampled in drawn.sampled:
        store.register_company(events.data_of(sampled.company))
        sent.add(notify(domain.report_sampled({**events.data_of(sampled), "covenant_year": drawn.covenant_year,
                                               "seed": drawn.seed}, clock.now()), store=store, channels=channels,
                        replayed=replayed))
    return sent


def on_case_received(received, *, store, channels, clock, complaints, commission_language: str,
                     replayed: bool = False) -> Sent:
    """The commission's alert, then the complainant's acknowledgement, to the address complaints gives for
    it: asked for only when that notice is still to be made (not for a replay: a restored notice is never
    sent), so that complaints not answering holds up the acknowledgement only (the event is handled again)."""
    _rebuilding(replayed, store=store, clock=clock)
    now = clock.now()
    data = events.data_of(received)
    sent = notify(domain.case_received(data, now, commission_language), store=store, channels=channels,
                  replayed=replayed)
    number = received.number
    if not received.acknowledgement or store.has_notice(domain.acknowledgement_key(number)):
        return sent
    # a v1 event (from complaints before v2) still carries the address: in its data, no field of v2's
    address = None if replayed else data.get("contact_email") or complaints.acknowledgement_address(number)
    return sent.add(notify(domain.case_acknowledged(data, now, address), store=store, channels=channels,
                           replayed=replayed))


def on_token_replaced(replaced, *, store, channels, clock, replayed: bool = False) -> Sent:
    """A member is told its sign-in code was replaced (once per replacement)."""
    return notify(domain.token_replaced(events.data_of(replaced), clock.now()), store=store, channels=channels,
                  replayed=replayed)


def on_commission_member_registered(registered, *, store, channels, clock, commission_language: str,
                                    replayed: bool = False) -> Sent:
    """The commission hears of a seat the secretariat registered, which waits for the chair's confirmation
    (the chair appointed at deployment sits at once: nothing to confirm)."""
    if registered.seated:
        return Sent()
    awaiting = domain.commission_seat_awaiting(events.data_of(registered.member), clock.now(), commission_language)
    return notify(awaiting, store=store, channels=channels, replayed=replayed)


def on_case_moved(moved, *, store, channels, clock, replayed: bool = False) -> Sent:
    _rebuilding(replayed, store=store, clock=clock)
    company = store.company(moved.company_id) if moved.company_id else None
    if moved.company_id and company is None:  # its registration is on its way (a rebuild): retried
        raise errors.Unavailable(f"Company {moved.company_id} is not known here yet.")
    company = {**company, "id": company["_id"]} if company else None
    sent = Sent()
    for notice in domain.case_moved(events.data_of(moved), company, clock.now()):
        sent.add(notify(notice, store=store, channels=channels, replayed=replayed))
    return sent


def on_case_message(sent, *, store, channels, clock, replayed: bool = False) -> Sent:
    _rebuilding(replayed, store=store, clock=clock)
    company = store.company(sent.company_id)
    if company is None:  # its registration is on its way (a rebuild): retried
        raise errors.Unavailable(f"Company {sent.company_id} is not known here yet.")
    return notify(domain.case_message(events.data_of(sent), {**company, "id": company["_id"]}, clock.now()),
                  store=store,
                  channels=channels, replayed=replayed)


def on_unknown_state(reported, *, store, channels, clock, secretariat_language: str) -> Sent:
    return notify(domain.unknown_state(events.data_of(reported), clock.now(), secretariat_language), store=store,
                  channels=channels)


def on_unknown_region(reported, *, store, channels, clock, secretariat_language: str) -> Sent:
    return notify(domain.unknown_region(events.data_of(reported), clock.now(), secretariat_language), store=store,
                  channels=channels)


def on_case_time_limit(approaching, *, store, channels, clock, commission_language: str,
                       replayed: bool = False) -> Sent:
    _rebuilding(replayed, store=store, clock=clock)
    return notify(domain.case_time_limit(events.data_of(approaching), clock.now(), commission_language), store=store,
                  channels=channels, replayed=replayed)


# --- on time ----------------------------------------------------------------------------------------

def send_reminders(*, store, channels, clock, scoring, secretariat_language: str) -> Sent:
    """Reminders before each deadline and alerts the day after, on the clock's day. One that was due on or
    before the day this service was rebuilt from a replay (`trustone replay notification`) was sent before
    its data was lost: it is restored to the inbox unsent, as the notices a replay restores are."""
    now = clock.now()
    calendars = covenant.calendars(scoring.list_calendars())
    rebuilt = store.rebuilt_at()
    sent = Sent()
    for notice in domain.scheduled(now.date(), now, calendars, store.all_companies(), store.outcomes(),
                                   store.all_extensions(), secretariat_language):
        sent.add(notify(notice, store=store, channels=channels,
                        replayed=domain.sent_before_a_rebuild(notice, rebuilt)))
    return sent


# --- on requests ------------------------------------------------------------------------------------

def inbox(caller: Caller, page: int, per_page: int, *, store, language: str | None = None) -> dict:
    """A company's or an authority's notices, the secretariat's alerts, or the commission's (one inbox) with
    a commission member's own, newest first; in `language` when asked, else each in its recipient's."""
    recipient = None if caller.role == domain.SECRETARIAT else caller.id
    items, total = store.inbox(caller.role, recipient, (page - 1) * per_page, per_page,
                               with_shared=caller.role == domain.COMMISSION)
    return {"items": [domain.shown(each, language) for each in items], "page": page, "per_page": per_page,
            "total": total}


def grant_extension(grant: dict, *, store, channels, clock, scoring) -> Sent:
    """The secretariat's own date for a company's year: it replaces the catch-up date, and the company
    is told. The date must fall after the year's due date, and at most a year after it."""
    company = store.company(grant["company_id"])
    if company is None:
        raise errors.Invalid.at("company_id", problems.NO_SUCH_COMPANY())
    with errors.field_error("covenant_year", errors.NotFound):
        framework = scoring.get_framework(grant["covenant_year"])
    until, due = date.fromisoformat(grant["date"]), date.fromisoformat(framework["due_date"])
    if until <= due:
        raise errors.Invalid.at("date", problems.AFTER_DUE_DATE(due_date=due.isoformat()))
    if until > due + domain.LONGEST_EXTENSION:
        raise errors.Invalid.at("date", problems.WITHIN_A_YEAR(latest=(due + domain.LONGEST_EXTENSION).isoformat()))
    now = clock.now()
    store.grant_extension(company["_id"], grant["covenant_year"], until, now)
    return notify(domain.extension_granted(company, grant["covenant_year"], until, now),
                  store=store, channels=channels)


def extensions(caller: Caller, *, store, company_id: str | None = None,
               covenant_year: int | None = None) -> list[dict]:
    """The dates the secretariat granted: a company its own, the secretariat every one (or a company's)."""
    company_id = company_id if caller.role == domain.SECRETARIAT else caller.id
    return [{"company_id": each["company_id"], "covenant_year": each["covenant_year"], "date": each["date"]}
            for each in store.extensions_list(company_id, covenant_year)]


# --- a company's standing ------------------------------------------------------------------------------

def standing_of(company_id: str, *, store, clock, scoring, submission) -> dict:
    """One member's standing in every covenant year (`domain.standing`); NotFound for no member."""
    if not isinstance(company_id, str):  # an id is text, never a query
        raise errors.Invalid.at("company_id", problems.TYPE_TEXT())
    company = _member(company_id, store=store, submission=submission)
    if company is None:
        raise errors.NotFound(problems.NO_SUCH_COMPANY())
    return _standings([company], store=store, clock=clock, scoring=scoring)[0]


def standings(caller: Caller, *, store, clock, scoring, submission, company_id: str | None = None,
              covenant_year: int | None = None) -> list[dict]:
    """Standings as a caller may read them: a company its own, the secretariat any member's (`company_id`)
    or every member's, by name; `covenant_year` keeps that year only."""
    company_id = caller.id if caller.role == domain.COMPANY else company_id
    if company_id is not None:
        company = _member(company_id, store=store, submission=submission)
        companies = [company] if company else []
    else:
        companies = sorted(store.all_companies(), key=lambda each: (each["name"].casefold(), each["_id"]))
    return _standings(companies, store=store, clock=clock, scoring=scoring, covenant_year=covenant_year)


def _member(company_id: str, *, store, submission) -> dict | None:
    """The member as this service knows it; one registered a moment ago whose registration is still on its
    way is asked of submission (and remembered)."""
    company = store.company(company_id)
    if company is None and submission is not None:
        for each in submission.list_members()["companies"]:
            if each["id"] == company_id:
                store.register_company(each)
                company = store.company(company_id)
    return company


def year_standings(covenant_year: int, status: str | None, page: int, per_page: int, *, store, clock,
                   scoring) -> dict:
    """For the secretariat: every member's standing in one year, by name, counted per state, one page of
    them (of those in `status`, when given)."""
    calendar = next((each for each in covenant.calendars(scoring.list_calendars())
                     if each.covenant_year == covenant_year), None)
    if calendar is None:
        raise errors.NotFound()
    today = clock.now().date()

    def computed():
        known = store.known_years(covenant_year=covenant_year)
        rows = [(company, domain.year_standing(company, calendar, known.get((company["_id"], covenant_year),
                                                                            domain.Known()), today))
                for company in store.companies_by_name()]
        counts = dict.fromkeys(domain.STATUSES, 0)
        for _, standing in rows:
            counts[standing["status"]] += 1
        return rows, counts

    rows, counts = store.standings_snapshot((covenant_year, today, calendar.due_date, calendar.catch_up_date),
                                            computed)
    kept = [row for row in rows if status is None or row[1]["status"] == status]
    start = (page - 1) * per_page
    return {"covenant_year": covenant_year, "counts": counts, "total": len(kept), "page": page,
            "per_page": per_page, "items": [{"member": domain.member_shown(company), "standing": standing}
                                            for company, standing in kept[start:start + per_page]]}


def _standings(companies: list[dict], *, store, clock, scoring, covenant_year: int | None = None) -> list[dict]:
    calendars = [each for each in covenant.calendars(scoring.list_calendars())
                 if covenant_year is None or each.covenant_year == covenant_year]
    known = store.known_years(company_id=companies[0]["_id"] if len(companies) == 1 else None,
                              covenant_year=covenant_year)
    by_company: dict[str, dict[int, domain.Known]] = {}
    for (owner, year), each in known.items():
        by_company.setdefault(owner, {})[year] = each
    today = clock.now().date()
    return [domain.standing(company, calendars, by_company.get(company["_id"], {}), today) for company in companies]


# --- contracting authorities and their suppliers -----------------------------------------------------------

def remember_authority(authority, *, store) -> None:
    """Who the contracting authorities are (an authority_registered event's authority)."""
    store.register_authority(events.data_of(authority))


def search_members(text: str, *, store) -> list[dict]:
    """Members whose name holds `text`: what the public member list shows of them."""
    return [_public(each) for each in store.companies_named(text)]


def near_members(text: str, *, store) -> list[dict]:
    """Members whose names are near `text` though none holds it ("Kastelsteen" for "Kasteelsteen"), best
    first: what the public member list shows of them."""
    return [_public(each) for each in domain.near_names(text, store.all_companies())]


def _public(company: dict) -> dict:
    return {key: company[key] for key in ("id", "name", "country", "role")}


def ask_about_supplier(caller: Caller, question: dict, *, store, channels, clock, scoring) -> tuple[dict, Sent]:
    """A contracting authority asks whether a supplier reported, when, and with what outcome, for each
    year it was obliged to. The question is recorded; a member is told that the authority asked. About a
    company that is no member nothing is said but that."""
    authority = store.authority(caller.id)
    if authority is None:  # its registration has not reached this service yet
        raise errors.Unavailable("Your registration is still on its way; try again in a minute.")
    company = store.company(question["company_id"]) if "company_id" in question else \
        _member_named(question["name"], store=store)
    now = clock.now()
    if company is None:
        answer = {"member": False}
    else:
        answer = {"member": True, "id": company["_id"], "name": company["name"],
                  "imports_directly": bool(company["imports_directly"]),
                  "first_year": domain.first_year_to_report(company),
                  "years": domain.supplier_years(_standings([company], store=store, clock=clock,
                                                            scoring=scoring)[0])}
    record = {"id": uuid.uuid4().hex, "asked_at": now, "authority_id": authority["_id"],
              "authority": {"id": authority["_id"], "name": authority["name"]},
              "asked": question.get("company_id") or question.get("name"),
              "company_id": company["_id"] if company else None, "answer": answer}
    store.record_question(record)
    log.info("supplier question answered", question_id=record["id"], member=answer["member"])
    sent = Sent()
    if company is not None:
        sent = notify(domain.supplier_question({**company, "id": company["_id"]},
                                               {"id": authority["_id"], "name": authority["name"]}, record["id"], now),
                      store=store, channels=channels)
    return _question_shown(record, caller), sent


def _member_named(name: str, *, store) -> dict | None:
    """The one member with this name (or, failing that, the one whose name holds it); None if none does."""
    found = store.companies_named(name, limit=10)
    exact = [each for each in found if each["name"].casefold() == name.casefold()]
    if len(exact) == 1:
        return exact[0]
    if len(found) == 1:
        return found[0]
    if found:
        raise errors.Invalid.at("name", problems.AMBIGUOUS_NAME(count=len(found)))
    return None


def questions(caller: Caller, *, store) -> list[dict]:
    """The questions asked: an authority its own, a company those about it, the secretariat all."""
    if caller.role == domain.SECRETARIAT:
        found = store.questions_list()
    elif caller.role == domain.COMPANY:
        found = store.questions_list(company_id=caller.id)
    else:
        found = store.questions_list(authority_id=caller.id)
    return [_question_shown(each, caller) for each in found]


def questions_page(caller: Caller, page: int, per_page: int, *, store) -> dict:
    """A page of the questions asked, newest first, with how many there are: an authority its own, a
    company those about it, the secretariat all."""
    whose = {} if caller.role == domain.SECRETARIAT else \
        {"company_id": caller.id} if caller.role == domain.COMPANY else {"authority_id": caller.id}
    found, total = store.questions_page(page, per_page, **whose)
    return {"total": total, "page": page, "per_page": per_page,
            "items": [_question_shown(each, caller) for each in found]}


def authorities(page: int, per_page: int, *, store) -> dict:
    """A page of the contracting authorities, by name, each with the day it joined and how many questions
    about suppliers it asked (for the secretariat)."""
    found, total = store.authorities_page(page, per_page)
    asked = store.questions_asked_by([each["_id"] for each in found])
    return {"total": total, "page": page, "per_page": per_page, "items": [
        {"id": each["_id"], "name": each["name"], "country": each["country"], "joined_on": each["joined_on"],
         "questions": asked[each["_id"]]} for each in found]}


def _question_shown(record: dict, caller: Caller) -> dict:
    shown = {"id": record["id"], "asked_at": record["asked_at"], "authority": record["authority"],
             "company_id": record["company_id"], "answer": record["answer"]}
    if caller.role != domain.COMPANY:  # a company learns who asked about it, not how they named it
        shown["asked"] = record["asked"]
    return shown


def add_webhook(caller: Caller, registration: dict, *, store, channels) -> dict:
    """Registers a webhook whose URL may be called: https, at a public address (`channels.aim` resolves
    and checks it; it is checked again at every delivery)."""
    try:
        channels.aim(registration["url"])
    except domain.RefusedTarget as exc:
        raise errors.Invalid.at("url", exc.problem) from None
    webhook = store.add_webhook(caller.role, caller.id, registration["url"], registration["secret"],
                                channels.now())
    return domain.webhook_shown(webhook)


def webhooks(caller: Caller, *, store) -> list[dict]:
    return [domain.webhook_shown(each) for each in store.webhooks_of(caller.role, caller.id)]


def remove_webhook(caller: Caller, webhook_id: str, *, store) -> None:
    """Removes one of the caller's webhooks; deliveries still pending to it are given up."""
    if not store.remove_webhook(caller.role, caller.id, webhook_id):
        raise errors.NotFound()
