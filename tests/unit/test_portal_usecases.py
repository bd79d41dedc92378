"""The portal's use cases with in-memory ports: sessions, sign-in limits, form tokens, drafts; the API a
fake that answers as the services do."""
import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from common import errors, network, problems
from services.portal import domain, usecases
from common.sealing import Sealer
from services.portal.dependencies import Api, PortalStore
from tests.support import SettableClock, example_report, in_memory

COMPANY = {"id": "c-1", "name": "Steenhandel B.V.", "country": "NL", "role": "importer", "imports_directly": True,
           "joined_on": "2019-10-01", "language": "en", "email": "dd@steenhandel.nl"}
RULES = usecases.SessionRules(idle_minutes=30, sign_in_attempts=3)


class FakeApi:
    """The services' API as one token sees it: `answers[(method, path)]` is a value, or a function of the
    body that returns one or raises the platform's error."""

    def __init__(self, answers):
        self.answers = {("GET", "/v1/regions"): [], **answers}  # reporting knows no regions, unless told
        self.token = None
        self.calls = []

    def as_(self, token):
        client = FakeApi(self.answers)
        client.token, client.calls = token, self.calls
        return client

    def _answer(self, method, path, body=None):
        self.calls.append((method, path, self.token, body))
        answer = self.answers[(method, path)]
        return answer(self.token, body) if callable(answer) else answer

    def get(self, service, path, **params):
        return self._answer("GET", path)

    def post(self, service, path, body=None):
        return self._answer("POST", path, body)

    @staticmethod
    def together(*calls):
        return [call() for call in calls]

    def post_file(self, service, path, content, *, headers=None):
        return self._answer("POST", path, content)


def me(token, body):
    if token != "company-token":
        raise errors.Unauthenticated()
    return {"role": "company", "member": COMPANY}


@pytest.fixture
def ports():
    return {"store": in_memory(PortalStore), "cipher": Sealer(Sealer.new_key(), setting="PORTAL_SECRET_KEY", without_key=""),
            "clock": SettableClock(), "rules": RULES}  # sessions expire by real time, as MongoDB's TTL does


def signed_in(ports, api):
    visitor = usecases.with_form_session(usecases.Visitor("nl"), store=ports["store"], clock=ports["clock"],
                                         rules=RULES)
    return usecases.sign_in(visitor, "company-token", "10.0.0.1", api=api, **ports)


def test_signing_in_opens_a_new_session_holding_the_token_sealed_in_the_members_language(ports):
    api = FakeApi({("GET", "/v1/me"): me})
    before = usecases.with_form_session(usecases.Visitor("nl"), store=ports["store"], clock=ports["clock"],
                                        rules=RULES)
    visitor = usecases.sign_in(before, " company-token ", "10.0.0.1", api=api, **ports)
    assert (visitor.role, visitor.member["id"], visitor.language) == ("company", "c-1", "en")
    assert visitor.session_id != before.session_id and ports["store"].session(before.session_id) is None
    stored = ports["store"].session(visitor.session_id)
    assert "company-token" not in str(stored), "the token is kept sealed"
    again = usecases.visit(visitor.session_id, "nl", **ports)
    assert (again.token, again.csrf) == ("company-token", visitor.csrf)


def test_an_address_that_keeps_failing_must_wait_even_with_a_good_code(ports):
    api = FakeApi({("GET", "/v1/me"): me})
    visitor = usecases.Visitor("nl")
    for _ in range(3):
        with pytest.raises(errors.Invalid) as refused:
            usecases.sign_in(visitor, "guess", "10.0.0.9", api=api, **ports)
        assert refused.value.errors == {"token": ["This sign-in code is not known. Check it and try again."]}
    with pytest.raises(errors.TooMany) as waiting:
        usecases.sign_in(visitor, "company-token", "10.0.0.9", api=api, **ports)
    assert waiting.value.message == "Too many attempts. Try again in 15 minute(s)."
    assert waiting.value.retry_after == 15 * 60
    assert usecases.sign_in(visitor, "company-token", "10.0.0.2", api=api, **ports).role == "company", \
        "another address is not held up"
    ports["clock"].advance(minutes=16)
    assert usecases.sign_in(visitor, "company-token", "10.0.0.9", api=api, **ports).role == "company"


def test_a_session_left_idle_ends(ports):
    visitor = signed_in(ports, FakeApi({("GET", "/v1/me"): me}))
    ports["clock"].advance(minutes=29)
    assert usecases.visit(visitor.session_id, "nl", **ports).signed_in
    ports["clock"].advance(minutes=29)
    assert usecases.visit(visitor.session_id, "nl", **ports).signed_in, "each visit keeps it alive"
    ports["clock"].advance(minutes=31)
    ended = usecases.visit(visitor.session_id, "nl", **ports)
    assert not ended.signed_in and ended.expired
    assert ports["store"].session(visitor.session_id) is None


def test_a_report_typed_while_the_session_ran_out_is_kept_as_its_draft_not_sent(ports):
    visitor = signed_in(ports, FakeApi({("GET", "/v1/me"): me}))
    ports["clock"].advance(minutes=31)
    fields = {"chains": ["4"], "supply_chain.factories.known": ["7"]}
    attacker = usecases.visit(visitor.session_id, "nl", **ports)
    assert not usecases.keep_typed_report(attacker, 1, fields, "another site's guess", store=ports["store"],
                                          clock=ports["clock"])
    assert ports["store"].draft("c-1", 1) is None
    later = signed_in(ports, FakeApi({("GET", "/v1/me"): me}))
    ports["clock"].advance(minutes=31)
    ended = usecases.visit(later.session_id, "nl", **ports)
    assert not ended.signed_in
    assert usecases.keep_typed_report(ended, 1, fields, later.csrf, store=ports["store"], clock=ports["clock"])
    state = ports["store"].draft("c-1", 1)["state"]
    assert (state["chains"], state["supply_chain"]["factories"]["known"]) == ("4", "7")


def test_a_form_without_the_sessions_token_is_refused(ports):
    visitor = signed_in(ports, FakeApi({("GET", "/v1/me"): me}))
    usecases.require_form_token(visitor, visitor.csrf)
    for wrong in (None, "", "guess"):
        with pytest.raises(errors.Forbidden):
            usecases.require_form_token(visitor, wrong)


def test_the_draft_keeps_what_was_typed_until_the_report_is_sent(ports):
    def submit(token, body):
        if body["chains"] is None:
            raise errors.Invalid({"chains": ["Field may not be null."]})
        return {"id": "r-1", "version": 1, "previous_version": None, "covenant_year": 1}
    api = FakeApi({("GET", "/v1/me"): me, ("POST", "/v1/reports"): submit,
                   ("POST", "/v1/reports/preview"): {"score": 47.8, "outcome": "compliant"},
                   ("GET", "/v1/frameworks/1"): {"covenant_year": 1}})
    visitor = signed_in(ports, api)
    fields = {"chains": [""], "supply_chain.factories.known": ["3"]}
    added = usecases.report_action(visitor, 1, fields, "add:risks", api=api, store=ports["store"], clock=ports["clock"])
    assert len(added.state["risks"]) == 1
    state, source, _ = usecases.report_form(visitor, 1, api=api, store=ports["store"])
    assert (source, state["supply_chain"]["factories"]["known"], len(state["risks"])) == ("draft", "3", 1)
    checked = usecases.report_action(visitor, 1, fields, "check", api=api, store=ports["store"], clock=ports["clock"])
    assert checked.assessment["score"] == 47.8 and checked.state["risks"] == [], "a blank row is no answer"
    refused = usecases.report_action(visitor, 1, fields, "submit", api=api, store=ports["store"], clock=ports["clock"])
    assert refused.errors == {"chains": ["Field may not be null."]} and refused.done is None
    assert ports["store"].draft("c-1", 1) is not None, "a refused report stays a draft"
    sent = usecases.report_action(visitor, 1, {**fields, "chains": ["12"]}, "submit", api=api, store=ports["store"],
                                  clock=ports["clock"])
    assert sent.done["version"] == 1 and ports["store"].draft("c-1", 1) is None
    assert all(token == "company-token" for method, path, token, body in api.calls if path != "/v1/me"), \
        "every call speaks for the signed-in company"


def test_a_refused_file_is_named_beside_the_row_it_was_chosen_in_and_the_rows_stay_as_posted(ports):
    """Removing or compacting rows in the same post would move the error to another row, or drop it with a
    row that held nothing but the refused file."""
    def upload(token, content):
        if content == b"not a pdf":
            raise errors.Invalid({"file": [{"code": "file_type", "message": "Only photos and PDFs."}]})
        return {"id": "f-1"}
    api = FakeApi({("GET", "/v1/me"): me, ("POST", "/v1/reports/files"): upload})
    visitor = signed_in(ports, api)
    fields = {"chains": ["12"], "evidence.0.kind": ["audit_report"], "evidence.0.title": ["Audit"],
              "evidence.1.kind": [""], "evidence.1.title": [""]}
    for action in ("remove:evidence:0", "submit"):
        outcome = usecases.report_action(visitor, 1, fields, action, api=api, store=ports["store"],
                                         clock=ports["clock"], uploads={"evidence.1.file": b"not a pdf"})
        assert list(outcome.errors) == ["evidence.1.file"] and outcome.done is None, action
        assert [each["title"] for each in outcome.state["evidence"]] == ["Audit", ""], action
    assert ("POST", "/v1/reports", "company-token") not in [call[:3] for call in api.calls]


def test_a_secretariat_page_is_not_for_a_company(ports):
    visitor = signed_in(ports, FakeApi({("GET", "/v1/me"): me}))
    with pytest.raises(errors.Forbidden):
        usecases.year_overview(visitor, 1, None, api=FakeApi({}))
    with pytest.raises(errors.Unauthenticated):
        usecases.company_years(usecases.Visitor("nl"), api=FakeApi({}))


def test_last_years_report_starts_the_form_when_this_year_has_none(ports):
    report = example_report()
    api = FakeApi({("GET", "/v1/me"): me, ("GET", "/v1/frameworks/2"): {"covenant_year": 2},
                   ("GET", "/v1/reports"): [{"id": "r-1", "covenant_year": 1}],
                   ("GET", "/v1/reports/r-1"): {"report": report}})
    visitor = signed_in(ports, api)
    api.answers[("GET", "/v1/reports")] = lambda token, body: []  # neither year has one yet ...
    assert usecases.report_form(visitor, 2, api=api, store=ports["store"])[1] == "blank"
    answers = iter([[], [{"id": "r-1", "covenant_year": 1}]])  # ... then year 2 has none and year 1 one
    api.answers[("GET", "/v1/reports")] = lambda token, body: next(answers)
    state, source, _ = usecases.report_form(visitor, 2, api=api, store=ports["store"])
    assert source == "last_year" and state["covenant_year"] == 2 and state["chains"] == str(report["chains"])


def test_waiting_as_long_as_told_is_enough_to_sign_in_again(ports):
    """A refused attempt tried no code: it does not count, or one who obeys Retry-After is never let in."""
    api = FakeApi({("GET", "/v1/me"): me})
    visitor = usecases.Visitor("nl")
    for _ in range(RULES.sign_in_attempts):
        with pytest.raises(errors.Invalid):
            usecases.sign_in(visitor, "guess", "10.0.0.9", api=api, **ports)
        ports["clock"].advance(minutes=4)
    for _ in range(2):  # asked again and again while it waits
        with pytest.raises(errors.TooMany) as waiting:
            usecases.sign_in(visitor, "company-token", "10.0.0.9", api=api, **ports)
        ports["clock"].advance(seconds=waiting.value.retry_after // 2)
    ports["clock"].advance(seconds=waiting.value.retry_after - waiting.value.retry_after // 2)
    assert usecases.sign_in(visitor, "company-token", "10.0.0.9", api=api, **ports).role == "company"


def test_sign_in_attempts_made_at_once_cannot_all_pass_the_limit(ports):
    """Each attempt is counted before its code is checked (the portal's workers run side by side)."""
    api = FakeApi({("GET", "/v1/me"): me})
    visitor = usecases.Visitor("nl")
    marks = network.address_marks(ports["cipher"].digest, "10.0.0.9", ports["clock"].now(), timedelta(minutes=15))
    for _ in range(3):
        ports["store"].record_failure(marks[0], ports["clock"].now(), timedelta(minutes=15))  # in flight
    with pytest.raises(errors.TooMany) as waiting:
        usecases.sign_in(visitor, "company-token", "10.0.0.9", api=api, **ports)
    assert waiting.value.message.startswith("Too many attempts")
    signed_in = usecases.sign_in(visitor, "company-token", "10.0.0.1", api=api, **ports)
    assert signed_in.role == "company"
    assert len(ports["store"].recent_failures(ports["clock"].now() - timedelta(minutes=1), 10)) == 3, \
        "a successful sign-in is no failure: only the three in flight are"


class RecordingSession:
    """requests.Session as the portal's API client uses it: records each call's headers."""

    def __init__(self):
        self.headers = []

    def request(self, method, url, headers=None, **kwargs):
        self.headers.append(headers)
        answer = requests.Response()
        answer.status_code, answer.raw = 200, io.BytesIO(b"{}")
        return answer


def api_for(session, **settings):
    api = Api()
    api.http, api.urls = session, {"complaints": "http://complaints"}
    api.settings = SimpleNamespace(**{"portal_service_key": "a-shared-secret",
                                      "trusted_proxies": network.networks(""), **settings})
    return api


def test_the_portal_vouches_for_the_client_it_saw_and_no_one_can_claim_another_address():
    session = RecordingSession()
    api = api_for(session, trusted_proxies=network.networks("172.28.1.2/32"))
    request = Request(EnvironBuilder(path="/complaints/new", method="POST",
                                     headers={"X-Forwarded-For": "10.9.9.9, 203.0.113.9"},
                                     environ_overrides={"REMOTE_ADDR": "172.28.1.2"}).get_environ())
    client = api.get_dependency(SimpleNamespace(args=(request,), context_data={}))
    client.post("complaints", "/v1/cases", {})
    client.as_("a-token").get("complaints", "/v1/cases")
    assert [each[network.CLIENT_HEADER] for each in session.headers] == ["203.0.113.9"] * 2, \
        "behind the operator's proxy, the address the proxy saw"
    assert all("X-Forwarded-For" not in each for each in session.headers)
    assert network.vouched_address("a-shared-secret", session.headers[0]) == "203.0.113.9"
    assert network.vouched_address("another-secret", session.headers[0]) is None
    forged = {**session.headers[0], network.CLIENT_HEADER: "198.51.100.1"}
    assert network.vouched_address("a-shared-secret", forged) is None, "a proof holds for its own address only"

    rotating = Request(EnvironBuilder(path="/complaints/new", method="POST",
                                      headers={"X-Forwarded-For": "198.51.100.77"},
                                      environ_overrides={"REMOTE_ADDR": "127.0.0.1"}).get_environ())
    api_for(session).get_dependency(SimpleNamespace(args=(rotating,), context_data={})).post("complaints", "/v1/cases")
    assert session.headers[-1][network.CLIENT_HEADER] == "127.0.0.1", \
        "no proxy is trusted unless named: a local client's X-Forwarded-For is not believed"


def test_a_code_no_one_could_have_been_given_names_no_one_and_no_case():
    """Sign-in and follow-up codes are ASCII: another one is unknown (it could not even travel in a header)."""
    from services.portal.dependencies import ApiClient
    with pytest.raises(errors.Unauthenticated):
        ApiClient(requests.Session(), {}, None, "correlation").as_("tökén-ヶ")
    with pytest.raises(errors.NotFound):
        usecases.case_progress("K-2021-0001", "códe", api=FakeApi({}))
    with pytest.raises(errors.NotFound):
        usecases.add_case_information("K-2021-0001", "\U0001F600", "More.", api=FakeApi({}))


def test_the_chairs_pages_ask_the_api_only_for_the_chair_and_put_waiting_seats_first():
    api = FakeApi({("GET", "/v1/commission-members"): [
        {"id": "m-1", "name": "Anna", "seat": "chair", "status": "seated"},
        {"id": "m-2", "name": "Bert", "seat": "employers", "status": "awaiting_confirmation"}],
        ("POST", "/v1/commission-members/m-2/confirmation"): {"id": "m-2", "name": "Bert", "seat": "employers",
                                                              "token": "new"}})
    chair = usecases.Visitor("nl", "s-1", "commission", {"id": "m-1", "seat": "chair"}, "chair-token", "csrf")
    member = usecases.Visitor("nl", "s-2", "commission", {"id": "m-3", "seat": "employers"}, "member-token", "csrf")
    assert [each["name"] for each in usecases.commission_members(chair, api=api)] == ["Bert", "Anna"]
    assert usecases.confirm_seat(chair, "m-2", api=api)["token"] == "new"
    for ask in (lambda: usecases.commission_members(member, api=api),
                lambda: usecases.confirm_seat(member, "m-2", api=api),
                lambda: usecases.identity_readings(member, 1, api=api)):
        with pytest.raises(errors.Forbidden):
            ask()
    assert {token for _, _, token, _ in api.calls} == {"chair-token"}, "another member's pages ask nothing"


# --- limits that hold, and cannot be turned against the one with the right code (issue 24) ------------------

def secretariat_or_company(token, body):
    if token == "secretariat-token":
        return {"role": "secretariat"}
    return me(token, body)


def test_failures_from_its_address_do_not_hold_up_a_browser_that_signed_in_with_the_code_before(ports):
    api = FakeApi({("GET", "/v1/me"): secretariat_or_company})
    office = "192.0.2.10"  # one gateway for the whole office
    before = usecases.sign_in(usecases.Visitor("nl"), "secretariat-token", office, api=api, **ports)
    assert before.device and "secretariat" not in before.device, "the device cookie names no one"
    for _ in range(RULES.sign_in_attempts):  # someone behind the same gateway guesses
        with pytest.raises(errors.Invalid):
            usecases.sign_in(usecases.Visitor("nl"), "guess", office, api=api, **ports)
    with pytest.raises(errors.TooMany):  # a browser that never signed in with a code waits
        usecases.sign_in(usecases.Visitor("nl"), "secretariat-token", office, api=api, **ports)
    for _ in range(10):  # the guesser goes on: answered 429 without a code being tried
        with pytest.raises(errors.TooMany):
            usecases.sign_in(usecases.Visitor("nl"), "guess", office, api=api, **ports)
    again = usecases.sign_in(usecases.Visitor("nl"), "secretariat-token", office, api=api, device=before.device,
                             **ports)
    assert again.role == "secretariat", "the secretariat's own browser signs in with its code"

    with pytest.raises(errors.TooMany):  # that browser does not open the way for another member's code
        usecases.sign_in(usecases.Visitor("nl"), "company-token", office, api=api, device=before.device, **ports)
    forged = before.device.rsplit(".", 1)[0] + ".0000"
    with pytest.raises(errors.TooMany):
        usecases.sign_in(usecases.Visitor("nl"), "secretariat-token", office, api=api, device=forged, **ports)
    for _ in range(RULES.sign_in_attempts):  # guessing with a copied device cookie: its own limit
        with pytest.raises(errors.TooMany):
            usecases.sign_in(usecases.Visitor("nl"), "guess", office, api=api, device=before.device, **ports)
    with pytest.raises(errors.TooMany):
        usecases.sign_in(usecases.Visitor("nl"), "secretariat-token", office, api=api, device=before.device,
                         **ports)
    assert office not in str(list(ports["store"].failures.find())), "failures keep a keyed mark, not the address"


def test_guessing_from_many_addresses_is_limited_over_all_of_them(ports):
    api = FakeApi({("GET", "/v1/me"): me})
    rules = usecases.SessionRules(idle_minutes=30, sign_in_attempts=3, sign_in_attempts_overall=10)
    ports = {**ports, "rules": rules}
    for place in range(10):
        with pytest.raises(errors.Invalid):
            usecases.sign_in(usecases.Visitor("nl"), "guess", f"203.0.113.{place}", api=api, **ports)
    for place in range(10, 35):
        with pytest.raises(errors.TooMany):
            usecases.sign_in(usecases.Visitor("nl"), "guess", f"203.0.113.{place}", api=api, **ports)
    ports["clock"].advance(minutes=15, seconds=1)
    assert usecases.sign_in(usecases.Visitor("nl"), "company-token", "203.0.113.99", api=api, **ports).role == \
        "company"


def test_a_session_ends_after_its_lifetime_however_busy(ports):
    rules = usecases.SessionRules(idle_minutes=30, sign_in_attempts=3, max_hours=2)
    ports = {**ports, "rules": rules}
    visitor = signed_in(ports, FakeApi({("GET", "/v1/me"): me}))
    for _ in range(7):
        ports["clock"].advance(minutes=17)
        assert usecases.visit(visitor.session_id, "nl", **ports).signed_in
    ports["clock"].advance(minutes=2)  # 2 hours and 1 minute after signing in, a minute after the last visit
    ended = usecases.visit(visitor.session_id, "nl", **ports)
    assert not ended.signed_in and ended.expired


def test_the_secretariat_reads_a_companys_years_in_the_order_the_company_acts_on_them():
    """During year 1's round (year 2 begun, its date further off), year 1 comes first, as on the company's page."""
    def year(number, status, days_left):
        return {"covenant_year": number, "obliged": True, "status": status, "days_left": days_left}
    api = FakeApi({("GET", "/v1/companies/c-1"): COMPANY, ("GET", "/v1/reports"): [],
                   ("GET", "/v1/standings"): [{"member": COMPANY, "years": [
                       year(1, "due", 16), year(2, "due", 381), year(3, "not_obliged", 746)]}]})
    office = usecases.Visitor("en", "s-1", "secretariat", None, "secretariat-token", "csrf")
    shown = usecases.company_detail(office, "c-1", api=api)
    assert [each["covenant_year"] for each in shown["years"]] == [1, 2, 3]
    api.answers[("GET", "/v1/standings")][0]["years"] = [year(1, "compliant", 106), year(2, "due", 381),
                                                         year(3, "not_obliged", 746)]
    shown = usecases.company_detail(office, "c-1", api=api)
    assert [each["covenant_year"] for each in shown["years"]] == [2, 3, 1], "then the others, newest first"


def test_the_secretariat_pages_through_the_contracting_authorities_as_through_the_members():
    listed = {"total": 120, "page": 1, "per_page": 50, "items": [
        {"id": "a-1", "name": "Gemeente Leiden", "country": "NL", "joined_on": "2020-03-01", "questions": 2}]}
    api = FakeApi({("GET", "/v1/supplier-questions/authorities"): listed})
    office = usecases.Visitor("en", "s-1", "secretariat", None, "secretariat-token", "csrf")
    assert usecases.authorities(office, 1, api=api)["pages"] == 3
    assert usecases.authorities(office, 9, api=api)["pages"] == 3, "past the last page: the last"
    with pytest.raises(errors.Forbidden):
        usecases.authorities(usecases.Visitor("en", "s-2", "company", COMPANY, "company-token", "csrf"), api=api)


def test_a_proof_is_checked_as_typed_or_from_its_file_and_a_refusal_is_placed_beside_the_field_it_came_from():
    def verification(token, body):
        if len(body["attestation"]) > 20:
            raise errors.Invalid.at("attestation", problems.MAX_LENGTH(max=20))
        if body["attestation"] == "x.y.z":
            return {"genuine": False, "holds": False, "reason": problems.FORGED().as_dict()}
        return {"genuine": True, "holds": True, "reason": None, "checked": body["attestation"]}

    api = FakeApi({("POST", "/v1/attestations/verification"): verification})
    assert usecases.check_attestation(" a.b\n.c ", api=api) == (
        {"genuine": True, "holds": True, "reason": None, "checked": "a.b.c"}, {})
    assert usecases.check_attestation("x.y.z", api=api)[0]["reason"].code == "forged", "worded by its code"
    assert usecases.check_attestation("", b"a.b.c\n", api=api)[0]["checked"] == "a.b.c"
    too_long = usecases.check_attestation("ignored", b"a" * 30, api=api)
    assert too_long[0] is None and list(too_long[1]) == ["attestation_file"], "beside the file, not the text"
    assert list(usecases.check_attestation("a" * 30, api=api)[1]) == ["attestation"]
    assert usecases.check_attestation(None, b"\xff\xfe", api=api) == (
        None, {"attestation_file": [domain.ATTESTATION_FILE_NOT_TEXT]})
    assert len(api.calls) == 5, "a file that cannot be a proof is not sent on"


def test_a_proof_is_checked_as_the_signed_in_visitor_or_as_whom_someone_not_signed_in_says():
    def verification(token, body):
        if body.get("checked_by") == "bad\u202e":
            raise errors.Invalid.at("checked_by", problems.BIDI_CONTROLS())
        return {"genuine": True, "holds": True, "reason": None}

    api = FakeApi({("POST", "/v1/attestations/verification"): verification})
    authority = usecases.Visitor("en", "s-1", "authority", {"id": "a-1", "name": "Gemeente Utrecht"},
                                 "authority-token", "csrf")
    usecases.check_attestation("a.b.c", api=api, visitor=authority, checked_by="Someone Else")
    usecases.check_attestation("a.b.c", api=api, visitor=usecases.Visitor("en"), checked_by="  Gemeente Zwolle ")
    usecases.check_attestation("a.b.c", api=api, visitor=usecases.Visitor("en"), checked_by="  ")
    assert [(token, body) for _, _, token, body in api.calls] == [
        ("authority-token", {"attestation": "a.b.c"}),  # as who it is: with its own token, nothing said
        (None, {"attestation": "a.b.c", "checked_by": "Gemeente Zwolle"}),
        (None, {"attestation": "a.b.c"})]
    assert usecases.check_attestation("a.b.c", api=api, visitor=usecases.Visitor("en"), checked_by="bad\u202e") == (
        None, {"checked_by": [problems.BIDI_CONTROLS()]}), "beside the name"
    assert list(usecases.check_attestation(None, b"a.b.c", api=api, checked_by="bad\u202e")[1]) == ["checked_by"]


def test_what_a_page_asks_of_several_services_at_once_comes_back_in_order_and_a_refusal_is_raised():
    from services.portal.dependencies import ApiClient
    assert ApiClient.together(lambda: "years", lambda: "notices", lambda: None) == ["years", "notices", None]
    assert ApiClient.together() == []

    def refused():
        raise errors.NotFound()
    with pytest.raises(errors.NotFound):
        ApiClient.together(lambda: "years", refused)


def test_the_secretariat_reads_whose_report_it_opened_and_the_company_is_not_told_its_own_name():
    sent = {"covenant_year": 1, "company_id": "c-1", "versions": [
        {"version": 1, "submitted_at": "2020-12-15T10:01:00+00:00", "report": {}, "files": []}]}
    api = FakeApi({("GET", "/v1/reports/r-1"): sent,
                   ("POST", "/v1/companies/names"): [{"id": "c-1", "name": "Graniet B.V."}]})
    office = usecases.Visitor("nl", "s-1", "secretariat", None, "secretariat-token", "csrf")
    assert usecases.report_version(office, "r-1", 1, api=api)["company_name"] == "Graniet B.V."
    member = usecases.Visitor("nl", "s-2", "company", COMPANY, "company-token", "csrf")
    assert usecases.report_version(member, "r-1", 1, api=api)["company_name"] is None
    assert [path for _, path, *_ in api.calls].count("/v1/companies/names") == 1


def test_the_verification_page_shows_a_large_sample_a_page_at_a_time_and_asks_its_names_in_one_answer():
    sampled = [{"company_id": f"c-{number}", "report_id": f"r-{number}", "version": 1} for number in range(500)]
    api = FakeApi({("GET", "/v1/verification/1"): {"sampled": sampled, "results": [{"company_id": "c-3"}]},
                   ("POST", "/v1/companies/names"): [{"id": f"c-{number}", "name": f"Steen {number}"}
                                                     for number in range(499)]})
    office = usecases.Visitor("nl", "s-1", "secretariat", None, "secretariat-token", "csrf")
    shown = usecases.verification(office, 1, api=api, clock=None)
    assert (shown["page"], shown["pages"], shown["verified"]) == (1, 20, 1)
    assert [each["name"] for each in shown["sampled"]] == [f"Steen {number}" for number in range(25)]
    last = usecases.verification(office, 1, api=api, clock=None, page=99)
    assert last["page"] == 20 and [each["name"] for each in last["sampled"]][-1] == "c-499", "an unknown name: its id"
    posted = usecases.verification(office, 1, api=api, clock=None, showing="c-260")
    assert posted["page"] == 11 and "c-260" in [each["company_id"] for each in posted["sampled"]], \
        "after a form is posted, the page that shows its company"
    asked = [body for method, path, _, body in api.calls if path == "/v1/companies/names"]
    assert asked[0] == {"ids": [f"c-{number}" for number in range(25)]}, "one answer for the page's names"
