"""The portal fuzzed through its own pages: each role's pages found by following links, each form read
from its page (bs4), then posted with a few of its fields replaced by hostile or random values, missing, or
doubled, and pages asked for with odd query strings and path parts. The portal runs in a container beside
the four services it is a client of, on the real RabbitMQ. No answer may be a 5xx, and every page that
answers must be a page (HTML in the visitor's language), never a trace.

Bounded: PORTAL_FUZZ_EXAMPLES requests of each kind (posted forms, asked pages)."""
import base64
import os
from collections import deque
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import (AUTHORITY, SECRETARIAT_TOKEN, appoint_chair_in_process, auth, example_report,
                           register_company, sign_in, start_portal, wait_until)

EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "30"))  # more, once: PORTAL_FUZZ_EXAMPLES=1000
PAGES_PER_ROLE = 40
# Not followed or posted: signing out or replacing a sign-in code would end the session being fuzzed, and
# files are not pages.
NOT_FOLLOWED = ("/sign-out", "/language/", "/static/")
NOT_POSTED = ("/sign-out", "/token")
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

# What people and attackers type: empty and blank, numbers out of every range, dates that do not exist,
# markup and formulas, control and astral characters, very long text.
HOSTILE = st.sampled_from([
    "", " ", "0", "-1", "1.5", "1e309", "NaN", "Infinity", "99999999999999999999999", "-0", "0x10", "１２",
    "2021-02-30", "31", "13", "1900", "9999", "<script>alert(1)</script>", "=HYPERLINK(\"http://x\")",
    "'; DROP TABLE reports; --", "../../etc/passwd", "%00", "\x00", "\u202e", "\U0001F600", "a" * 5000,
    "yes", "no", "on", "true", "null", "[]", "{}", "K-2021-0001", "0" * 32, "NL", "XX", "en", "fr"])
VALUES = st.one_of(HOSTILE, st.text(max_size=40))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@dataclass(frozen=True)
class Field:
    name: str
    values: tuple[str, ...]   # what the page offers (its options), the first as the page fills it in
    kind: str                 # input type, select or textarea


@dataclass(frozen=True)
class Form:
    page: str
    action: str
    fields: tuple[Field, ...]
    multipart: bool


def forms_on(page_url: str, html: str) -> list[Form]:
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for form in soup.find_all("form"):
        if (form.get("method") or "get").lower() != "post":
            continue
        fields: dict[str, Field] = {}
        for each in form.find_all(["input", "select", "textarea"]):
            name = each.get("name")
            if not name or each.name == "input" and each.get("type") in ("submit", "button"):
                continue
            if each.name == "select":
                offered = tuple(option.get("value", option.text) for option in each.find_all("option"))
                chosen = [option.get("value", option.text) for option in each.find_all("option")
                          if option.has_attr("selected")]
                values, kind = tuple(chosen) + offered or ("",), "select"
            elif each.name == "textarea":
                values, kind = (each.text,), "textarea"
            else:
                values, kind = (each.get("value", ""),), each.get("type", "text")
            known = fields.get(name)
            fields[name] = Field(name, (known.values if known else ()) + values, kind)
        for button in form.find_all("button", attrs={"name": True}):  # the action a button posts
            known = fields.get(button["name"])
            fields[button["name"]] = Field(button["name"], (known.values if known else ()) + (button.get("value", ""),),
                                           "button")
        found.append(Form(page_url, urljoin(page_url, form.get("action") or page_url), tuple(fields.values()),
                          form.get("enctype") == "multipart/form-data"))
    return found


def explore(browser: requests.Session, portal: str) -> tuple[list[str], list[Form]]:
    """The pages reachable by same-origin links from the start page, and the forms on them that post."""
    waiting, seen, pages, forms = deque([portal + "/"]), set(), [], []
    while waiting and len(pages) < PAGES_PER_ROLE:
        address = urlsplit(urljoin(portal + "/", waiting.popleft()))._replace(fragment="")
        target = address.geturl()
        if f"{address.scheme}://{address.netloc}" != portal or address.path.startswith(NOT_FOLLOWED) \
                or target in seen:
            continue
        seen.add(target)
        answer = browser.get(target)
        assert answer.status_code < 500, (target, answer.status_code)
        if not answer.headers.get("Content-Type", "").startswith("text/html"):
            continue
        pages.append(answer.url)
        forms += [form for form in forms_on(answer.url, answer.text)
                  if not urlsplit(form.action).path.endswith(NOT_POSTED)]
        waiting.extend(link["href"] for link in BeautifulSoup(answer.text, "html.parser").find_all("a", href=True))
    return pages, forms


@pytest.fixture
def portal(container_factory, service_config, url):
    # limits high enough that sign-ins and filings are still tried at the end, not answered 429 before
    return start_portal(container_factory, {**service_config, "PORTAL_SIGN_IN_ATTEMPTS": 100_000,
                                            "COMPLAINTS_FILINGS_PER_DAY": 100_000}, url)


@pytest.fixture
def visitors(portal, url, service_config):
    """Each role signed in to the portal (the public not), with the pages and forms it reaches."""
    company = register_company(url("submission", ""), name="Graniet Import B.V.")
    report = requests.post(url("submission", "/v1/reports"), json=example_report(), headers=auth(company["token"]))
    assert report.status_code == 202, report.text
    authority = requests.post(url("submission", "/v1/authorities"), json=AUTHORITY,
                              headers=auth(SECRETARIAT_TOKEN)).json()
    member = appoint_chair_in_process(service_config["AMQP_URI"])
    # a seat for the chair to confirm (or give a new code to): its forms are fuzzed too
    requests.post(url("submission", "/v1/commission-members"), headers=auth(SECRETARIAT_TOKEN), json={
        "name": "Werkgever", "seat": "employers", "email": "employers@example.org", "language": "nl"})
    filed = requests.post(url("complaints", "/v1/cases"), json={
        "kind": "complaint", "company_id": company["id"], "what_happened": "No masks.", "language": "en"})
    assert filed.status_code == 201, filed.text
    wait_until(lambda: requests.get(url("scoring", f"/v1/reports/{report.json()['id']}/assessment"),
                                    headers=auth(company["token"])).status_code == 200, "the report scored")
    found = {}
    for role, code in (("public", None), ("company", company["token"]), ("secretariat", SECRETARIAT_TOKEN),
                       ("authority", authority["token"]), ("commission", member["token"])):
        browser = requests.Session()
        if code:
            assert sign_in(browser, portal, code).status_code == 303, role
        pages, forms = explore(browser, portal)
        found[role] = (browser, pages, forms)
    return found


def assert_a_page(answer: requests.Response, what) -> None:
    assert answer.status_code < 500, (what, answer.status_code, answer.text[:2000])
    if answer.headers.get("Content-Type", "").startswith("text/html"):
        assert "<html lang=" in answer.text and "Traceback" not in answer.text, what


def test_no_form_or_page_of_any_role_answers_a_server_error(visitors):
    roles = sorted(visitors)
    assert all(visitors[role][2] for role in ("public", "company", "secretariat", "authority", "commission")), \
        {role: len(forms) for role, (_, _, forms) in visitors.items()}

    @FUZZ
    @given(data=st.data())
    def post_forms(data):
        role = data.draw(st.sampled_from([role for role in roles if visitors[role][2]]))
        browser, _, forms = visitors[role]
        form = data.draw(st.sampled_from(forms))
        posted = {field.name: [field.values[0]] for field in form.fields if field.kind != "file"}
        changeable = [field for field in form.fields if field.name != "csrf_token"]
        for field in data.draw(st.lists(st.sampled_from(changeable), max_size=4, unique=True) if changeable
                               else st.just([])):
            change = data.draw(st.sampled_from(["offered", "typed", "missing", "doubled"]))
            if change == "missing":
                posted.pop(field.name, None)
            elif change == "doubled":
                posted[field.name] = [data.draw(VALUES), data.draw(VALUES)]
            else:
                posted[field.name] = [data.draw(st.sampled_from(field.values) if change == "offered" and field.values
                                                else VALUES)]
        files = None
        if form.multipart and data.draw(st.booleans()):
            files = [("attachments", (name, content, "application/octet-stream")) for name, content in data.draw(
                st.lists(st.sampled_from([("a.png", PNG), ("b.pdf", b"%PDF-1.4 nothing"), ("c.exe", b"MZ"),
                                          ("d.png", b"")]), max_size=3))]
        answer = browser.post(form.action, data=posted, files=files, allow_redirects=True)
        assert_a_page(answer, (role, form.action, posted))

    @FUZZ
    @given(data=st.data())
    def ask_pages(data):
        role = data.draw(st.sampled_from(roles))
        browser, pages, _ = visitors[role]
        address = urlsplit(data.draw(st.sampled_from(pages)))
        parts = address.path.split("/")
        if len(parts) > 2 and data.draw(st.booleans()):  # a path part replaced: another id, year or word
            place = data.draw(st.integers(1, len(parts) - 1))
            parts[place] = data.draw(HOSTILE.filter(lambda each: "/" not in each and each not in ("", ".", "..")))
        query = data.draw(st.dictionaries(st.sampled_from(["page", "year", "status", "name", "next", "kept", "q"]),
                                          VALUES, max_size=3))
        answer = browser.get(address._replace(path="/".join(parts), query="").geturl(), params=query)
        assert_a_page(answer, (role, parts, query))

    post_forms()
    ask_pages()
