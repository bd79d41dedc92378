"""The portal in a nameko container, with the four services it is a client of in containers beside it on
the real RabbitMQ: sessions, form tokens, headers, and a company's and the secretariat's pages."""
import base64
import logging
import re
import shutil
from urllib.parse import urlparse

import pytest
import requests
import yaml

from common import mongo
from common.logging import json_formatter
from services.portal import domain
from services.scoring.dependencies import SHIPPED_FRAMEWORKS
from tests.support import (SECRETARIAT_TOKEN, SettableClock, auth, blank_report, example_report, form_fields, form_token,
                           photo_with_gps, register_company, sign_in, start_portal, wait_until,
                           with_steps_1_and_21)


@pytest.fixture
def portal(container_factory, service_config, url):
    return start_portal(container_factory, service_config, url)


@pytest.fixture
def impatient_portal(container_factory, service_config, url):
    """The portal with sessions that end after a second and a half idle, and the clock of its sessions (real
    time, standing still until the test moves it)."""
    sessions = SettableClock()
    return start_portal(container_factory, {**service_config, "PORTAL_SESSION_IDLE_MINUTES": 0.025}, url,
                        real_time=sessions), sessions


@pytest.fixture
def strict_portal(container_factory, service_config, url):
    """The portal with two failed sign-ins allowed per address, and one case a day filed from each."""
    return start_portal(container_factory, {**service_config, "PORTAL_SIGN_IN_ATTEMPTS": 2,
                                            "COMPLAINTS_FILINGS_PER_DAY": 1}, url)


def test_signing_in_and_out_keeps_the_token_on_the_server_and_every_page_guarded(portal, url):
    company = register_company(url("submission", ""), language="en")
    browser = requests.Session()
    start = browser.get(f"{portal}/sign-in")
    assert start.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in start.headers["Content-Security-Policy"]
    assert "script-src 'self'" in start.headers["Content-Security-Policy"]
    for address in ("/no-such-page", "/sector/99/report"):  # no page here (a year out of range neither)
        nothing = browser.get(f"{portal}{address}")
        assert nothing.status_code == 404 and "Pagina niet gevonden" in nothing.text, address
        assert '<html lang="nl">' in nothing.text and "text/html" in nothing.headers["Content-Type"], address
    in_english = requests.get(f"{portal}/sector/99/report", headers={"Accept-Language": "en-GB"})
    assert in_english.status_code == 404 and '<html lang="en">' in in_english.text
    refused = browser.delete(f"{portal}/sign-in")
    assert refused.status_code == 405 and "text/html" in refused.headers["Content-Type"]
    cookie = start.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie, "plain HTTP here"
    behind_https = requests.get(f"{portal}/sign-in", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in behind_https.headers["Set-Cookie"]

    forged = browser.post(f"{portal}/sign-in", data={"csrf_token": "forged", "token": company["token"]},
                          allow_redirects=False)
    assert forged.status_code == 400 and "trustone_session" not in forged.cookies

    wrong = sign_in(browser, portal, "not-a-code")
    assert wrong.status_code == 401 and "Deze aanmeldcode is onbekend" in wrong.text
    assert 'aria-invalid="true"' in wrong.text and 'href="#f-token"' in wrong.text

    anonymous = browser.cookies["trustone_session"]
    signed_in = sign_in(browser, portal, company["token"])
    assert (signed_in.status_code, signed_in.headers["Location"]) == (303, "/")
    assert browser.cookies["trustone_session"] != anonymous, "signing in gives a new session id"
    home = browser.get(f"{portal}/")
    assert home.url.endswith("/company") and "Your reports" in home.text, "the member's own language, English"
    assert company["token"] not in home.text and company["token"] not in home.url

    page = browser.get(f"{portal}/company/years/1/report")
    browser.post(f"{portal}/sign-out", data={"csrf_token": form_token(page.text)})
    assert browser.get(f"{portal}/company", allow_redirects=False).headers["Location"] == "/sign-in"
    assert browser.get(f"{portal}/secretariat", allow_redirects=False).status_code == 303


def on_the_report_form(portal: str, url, name: str):
    """A new company, signed in to the portal in a session of its own, on its year-1 report form: the company,
    the session, the form's page and its fields filled in with the example report."""
    company = register_company(url("submission", ""), name=name)
    member = requests.Session()
    sign_in(member, portal, company["token"])
    form = member.get(f"{portal}/company/years/1/report")
    return company, member, form, {"csrf_token": form_token(form.text),
                                   **form_fields(domain.from_report(example_report(), 1))}


def test_a_company_sends_its_evidence_as_files_and_a_refused_file_loses_nothing(portal, url):
    from tests.support import pdf_with_document_info
    company, member, form, fields = on_the_report_form(portal, url, "Bewijs Steen B.V.")
    other = register_company(url("submission", ""), name="Andere Steen B.V.")
    assert 'enctype="multipart/form-data"' in form.text
    address = f"{portal}/company/years/1/report"

    refused = member.post(address, data={**fields, "action": "submit", "supply_chain.quarries.known": "99"}, files={
        "evidence.0.file.upload": ("audit.pdf", pdf_with_document_info(), "application/pdf"),
        "plan_of_approach_file.upload": ("plan.pdf", b"MZ\x90\x00 not a PDF", "application/pdf")})
    assert refused.status_code == 422
    assert 'href="#f-plan_of_approach_file">Uw plan van aanpak als bestand: Het bestand is geen foto' in refused.text
    assert 'id="f-plan_of_approach_file-error"' in refused.text, "the error beside its input"
    kept = re.search(r'name="evidence.0.file" value="([0-9a-f]+)"', refused.text).group(1)
    assert "Er is een bestand bijgevoegd." in refused.text, "the file chosen before the error is kept, as uploaded"
    assert 'value="99"' in refused.text
    assert requests.get(url("submission", "/v1/reports"), headers=auth(company["token"])).json() == [], "nothing sent"

    fields = {**fields, "evidence.0.file": kept, "csrf_token": form_token(refused.text)}
    sent = member.post(address, data={**fields, "action": "submit"}, files={
        "plan_of_approach_file.upload": ("plan.jpg", photo_with_gps(), "image/jpeg")})
    assert "Uw rapportage is verstuurd" in sent.text, sent.text[:2000]
    report_id = requests.get(url("submission", "/v1/reports"), headers=auth(company["token"])).json()[0]["id"]
    answers = member.get(f"{portal}/reports/{report_id}/versions/1")
    links = re.findall(rf'href="(/reports/{report_id}/versions/1/files/[0-9a-f]+)">([^<]+)</a> \(([^,]+),', answers.text)
    assert [(text, kind) for _, text, kind in links] == [("Plan van aanpak", "foto (JPEG)"),
                                                         ("Bestand van onderbouwing 1", "pdf-document")], links
    audit = member.get(portal + links[1][0])
    assert audit.status_code == 200 and audit.headers["Content-Type"] == "application/pdf"
    assert b"Jan Jansen" not in audit.content and "attachment" in audit.headers["Content-Disposition"]
    assert audit.headers["X-Content-Type-Options"] == "nosniff"
    assert audit.headers["Content-Security-Policy"] == "default-src 'none'; sandbox", "if shown, it runs nothing"

    secretariat = requests.Session()
    sign_in(secretariat, portal, SECRETARIAT_TOKEN)
    assert 'href="' + links[0][0] in secretariat.get(f"{portal}/reports/{report_id}/versions/1").text
    assert secretariat.get(portal + links[0][0]).headers["Content-Type"] == "image/jpeg"
    stranger = requests.Session()
    sign_in(stranger, portal, other["token"])
    assert stranger.get(portal + links[1][0]).status_code == 404
    assert requests.get(portal + links[1][0], allow_redirects=False).status_code in (303, 401, 403)


@pytest.fixture
def small_files_portal(container_factory, service_config, url):
    """The platform with files of at most 1 MB sent with reports."""
    return start_portal(container_factory, {**service_config, "REPORT_FILE_MAX_MB": 1}, url)


def test_the_form_says_how_large_a_file_may_be_as_configured_and_a_larger_one_is_refused_beside_it(
        small_files_portal, url):
    portal = small_files_portal
    company, member, form, fields = on_the_report_form(portal, url, "Klein Bestand B.V.")
    assert "Een pdf, JPEG of PNG van hoogstens 1 MB." in form.text
    large = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10) + b"\n%%EOF\n"
    refused = member.post(f"{portal}/company/years/1/report", data={**fields, "action": "submit"},
                          files={"plan_of_approach_file.upload": ("plan.pdf", large, "application/pdf")})
    assert refused.status_code == 422
    assert "groter dan 1 MB" in refused.text and 'id="f-plan_of_approach_file-error"' in refused.text
    assert requests.get(url("submission", "/v1/reports"), headers=auth(company["token"])).json() == [], "nothing sent"


def test_a_company_sends_its_report_and_the_secretariat_sees_it_and_grants_a_date(portal, url):
    company = register_company(url("submission", ""), name="Graniet Import B.V.")
    member = requests.Session()
    sign_in(member, portal, company["token"])
    form = member.get(f"{portal}/company/years/1/report")
    assert form.status_code == 200 and "Uw rapportage over convenantjaar 1" in form.text

    fields = {"csrf_token": form_token(form.text), **form_fields(domain.from_report(example_report(), 1))}

    refused = member.post(f"{portal}/company/years/1/report", data={**fields, "action": "check",
                                                                   "supply_chain.quarries.known": "99"})
    assert refused.status_code == 422 and "Er is een probleem" in refused.text
    assert 'href="#f-supply_chain-quarries-known">Groeves bekend: Vul een getal in dat niet groter is dan het ' \
           'totaal.' in refused.text, "the summary names the field and says what to do"
    assert 'value="99"' in refused.text, "what was typed is shown again"
    checked = member.post(f"{portal}/company/years/1/report", data={**fields, "action": "check"})
    assert "De beoordeling die deze rapportage zou krijgen" in checked.text and "47,8" in checked.text
    sent = member.post(f"{portal}/company/years/1/report", data={**fields, "action": "submit"})
    assert "Uw rapportage is verstuurd" in sent.text

    def scored():
        page = member.get(f"{portal}/company").text
        return "Voldoet aan de eisen" in page and page
    wait_until(scored, "the portal to show the report scored")
    member.get(f"{portal}/language/en")  # the Dutch company reads the portal in English: its notices too
    notices = wait_until(lambda: (page := member.get(f"{portal}/notices").text).count("Version 1 of your report")
                         and page, "the outcome's notice")
    assert "scores 47.8 %" in notices and "Versie 1" not in notices
    member.get(f"{portal}/language/nl")

    secretariat = requests.Session()
    sign_in(secretariat, portal, SECRETARIAT_TOKEN)
    overview = secretariat.get(f"{portal}/secretariat?year=1")
    assert "Graniet Import B.V." in overview.text and "Voldoet aan de eisen" in overview.text
    listed = secretariat.get(f"{portal}/secretariat/members.csv?year=1&status=compliant")
    assert listed.headers["Content-Type"].startswith("text/csv") and "Graniet Import B.V." in listed.text
    header, row = listed.text.splitlines()[:2]
    assert header.startswith("Lidnummer;Naam;Land;Wat het doet;Moet rapporteren;Waar zij staat")
    assert ";Nederland;importeur;Ja;Voldoet aan de eisen;" in row, row
    assert row.endswith(";47,8"), "a Dutch spreadsheet reads the score as a number, 47,8"
    assert "Graniet" not in secretariat.get(f"{portal}/secretariat/members.csv?year=1&status=missing").text

    page = secretariat.get(f"{portal}/secretariat/companies/{company['id']}")
    granted = secretariat.post(f"{portal}/secretariat/companies/{company['id']}/extension", data={
        "csrf_token": form_token(page.text), "covenant_year": "1", "date.day": "15", "date.month": "5",
        "date.year": "2021"})
    assert granted.status_code == 200 and "Eigen datum 15 mei 2021 verleend" in granted.text
    assert requests.get(url("notification", "/v1/extensions"), headers=auth(company["token"])).json() == [
        {"company_id": company["id"], "covenant_year": 1, "date": "2021-05-15"}]
    assert member.get(f"{portal}/company/years/1/report").status_code == 200
    refused = member.get(f"{portal}/secretariat")
    assert refused.status_code == 403 and "Deze pagina is niet voor uw account." in refused.text
    assert "Graniet Import B.V." in refused.text and "Afmelden" in refused.text, "the error page keeps the menu"
    mistyped = member.get(f"{portal}/company/yeers")
    assert mistyped.status_code == 404 and "Pagina niet gevonden" in mistyped.text
    assert "Graniet Import B.V." in mistyped.text and "Afmelden" in mistyped.text, "so does a mistyped address's"


def test_an_authority_asking_about_a_stranger_breaks_no_page_and_a_huge_form_is_refused(portal, url):
    authority = requests.post(url("submission", "/v1/authorities"), headers=auth(SECRETARIAT_TOKEN),
                              json={"name": "Gemeente Delft", "country": "NL", "joined_on": "2020-02-01"}).json()
    asker = requests.Session()
    sign_in(asker, portal, authority["token"])

    def known():
        page = asker.get(f"{portal}/authority")
        return page.status_code == 200 and page
    page = wait_until(known, "the authority's page")
    answer = asker.post(f"{portal}/authority/questions", data={"csrf_token": form_token(page.text),
                                                               "company_id": "no-such-company"})
    assert answer.status_code == 200 and "Deze onderneming is geen lid van het convenant." in answer.text
    assert asker.get(f"{portal}/authority").status_code == 200
    secretariat = requests.Session()
    sign_in(secretariat, portal, SECRETARIAT_TOKEN)
    questions = secretariat.get(f"{portal}/secretariat/questions")
    assert questions.status_code == 200 and "no-such-company" in questions.text
    huge = asker.post(f"{portal}/authority/questions", data={"csrf_token": form_token(page.text),
                                                            "company_id": "x" * (2 * 1024 * 1024)})
    assert huge.status_code == 413 and "Te veel ineens" in huge.text
    assert asker.get(f"{portal}/language/en", params={"next": "/\t/evil.example"},
                     allow_redirects=False).headers["Location"] == "/"


def test_what_was_typed_when_a_session_ran_out_is_not_lost(impatient_portal, url):
    portal, sessions = impatient_portal
    company = register_company(url("submission", ""), language="en")
    browser = requests.Session()
    sign_in(browser, portal, company["token"])
    token = form_token(browser.get(f"{portal}/company/years/1/report").text)
    sessions.advance(seconds=2)  # the company types for longer than a session may idle
    posted = browser.post(f"{portal}/company/years/1/report", data={"csrf_token": token, "action": "save",
                                                                    "chains": "4"}, allow_redirects=False)
    assert posted.headers["Location"] == "/sign-in?kept=1&next=/company/years/1/report"
    assert "is kept as a draft" in browser.get(f"{portal}{posted.headers['Location']}").text
    page = browser.get(f"{portal}/sign-in?next=/company/years/1/report")
    back = browser.post(f"{portal}/sign-in", data={"csrf_token": form_token(page.text), "token": company["token"],
                                                   "next": "/company/years/1/report"}, allow_redirects=False)
    assert back.headers["Location"] == "/company/years/1/report", "signed in, it goes on where it was"
    again = browser.get(f"{portal}/company/years/1/report").text
    assert re.search(r'name="chains" type="text" value="4"', again), "what was typed is back"
    assert "You saved a draft of this report on " in browser.get(f"{portal}/company").text, \
        "the company's page says a draft waits"

    stranger = requests.Session()
    token = form_token(stranger.get(f"{portal}/complaints/new").text)
    sessions.advance(seconds=2)
    refused = stranger.post(f"{portal}/complaints/new", data={
        "csrf_token": token, "kind": "dispute", "what_happened": "The gate was locked all week."})
    assert refused.status_code == 400 and "The gate was locked all week." in refused.text
    assert "Dit formulier stond te lang open" in refused.text or "This form was open too long" in refused.text


def test_asking_too_often_says_when_to_try_again_and_keeps_what_was_typed(strict_portal):
    portal = strict_portal
    guesser = requests.Session()
    assert [sign_in(guesser, portal, "guess").status_code for _ in range(2)] == [401, 401]
    waiting = sign_in(guesser, portal, SECRETARIAT_TOKEN)
    assert waiting.status_code == 429 and 14 * 60 < int(waiting.headers["Retry-After"]) <= 15 * 60
    assert "Te veel pogingen. Probeer het over 15 minuten opnieuw." in waiting.text
    assert guesser.get(f"{portal}/secretariat", allow_redirects=False).status_code == 303, "not signed in"

    filer = requests.Session()

    def file(what_happened):
        page = filer.get(f"{portal}/complaints/new")
        return filer.post(f"{portal}/complaints/new", data={
            "csrf_token": form_token(page.text), "kind": "dispute", "party": "Steengroeve Noord",
            "what_happened": what_happened, "language": "nl"})
    assert file("The gate was locked all week.").status_code == 200
    again = file("And the week after.")
    assert again.status_code == 429 and 23 * 3600 < int(again.headers["Retry-After"]) <= 24 * 3600
    assert "Te veel meldingen vanaf uw adres in 24 uur. Probeer het over 24 uur opnieuw." in again.text
    assert "And the week after." in again.text and "Steengroeve Noord" in again.text, "what was typed is kept"


def test_the_secretariat_places_a_region_name_nobody_knew_and_the_figures_count_it_there(portal, url):
    for region, state in (("Kotah", None), ("Kota", "IN-RJ")):
        company = register_company(url("submission", ""))
        report = {**example_report(), "quarry_regions": [{"country": "IN", "region": region, "state": state}]}
        assert requests.post(url("submission", "/v1/reports"), json=report,
                             headers=auth(company["token"])).status_code == 202
    secretariat = requests.Session()
    sign_in(secretariat, portal, SECRETARIAT_TOKEN)
    page = wait_until(lambda: (found := secretariat.get(f"{portal}/secretariat/regions")).text.count("<form") >= 3
                      and found, "both names on the secretariat's page")  # two names and signing out
    assert "Kotah" in page.text and "Rajasthan, India" in page.text

    refused = secretariat.post(f"{portal}/secretariat/regions", data={
        "csrf_token": form_token(page.text), "row": "0", "country": "IN", "state": "", "region": "Kotah", "as": ""})
    assert refused.status_code == 422
    assert 'id="f-as-0-error"' in refused.text and "Vul dit in." in refused.text
    assert "<title>Fout: Groevegebieden – TruStone</title>" in refused.text, "said once"

    new = secretariat.post(f"{portal}/secretariat/regions", data={
        "csrf_token": form_token(page.text), "row": "1", "country": "IN", "state": "IN-RJ", "region": "Kota",
        "as": "new"})
    assert new.status_code == 200, new.text
    assert "Andere schrijfwijze van Kota (Rajasthan)" in new.text
    spelling = secretariat.post(f"{portal}/secretariat/regions", data={
        "csrf_token": form_token(page.text), "row": "0", "country": "IN", "state": "", "region": "Kotah",
        "as": "IN|IN-RJ|Kota"})
    assert "De cijfers tellen nu 1 rapportage meer onder Kota." in spelling.text
    assert "Elke naam die ondernemingen gebruikten, staat op de lijst." in spelling.text
    figures = requests.get(url("reporting", "/v1/sector/1/live"), headers=auth(SECRETARIAT_TOKEN)).json()
    assert figures["assessed_reports"] == 2


def test_the_secretariat_says_which_state_a_name_nobody_knew_is(portal, url):
    company = register_company(url("submission", ""))
    report = {**example_report(), "quarry_regions": [{"country": "IN", "region": "Bundi", "state": "Rajastan"}]}
    assert requests.post(url("submission", "/v1/reports"), json=report, headers=auth(company["token"])).status_code == 202
    secretariat = requests.Session()
    sign_in(secretariat, portal, SECRETARIAT_TOKEN)
    page = wait_until(lambda: "Provincies en deelstaten om te plaatsen" in (
        found := secretariat.get(f"{portal}/secretariat/regions")).text and found, "the state on the page")
    assert "Rajastan" in page.text and "geschreven bij Bundi" in page.text
    assert '<option value="IN-RJ">Rajasthan</option>' in page.text and 'value="NL-' not in page.text

    refused = secretariat.post(f"{portal}/secretariat/state-names", data={
        "csrf_token": form_token(page.text), "row": "0", "country": "IN", "name": "Rajastan", "state": ""})
    assert refused.status_code == 422 and 'id="f-state-0-error"' in refused.text and "Vul dit in." in refused.text
    known = secretariat.post(f"{portal}/secretariat/state-names", data={
        "csrf_token": form_token(page.text), "row": "0", "country": "IN", "name": "Gujarat", "state": "IN-RJ"})
    # the state named as the page names it in its list (Gujarat in Dutch, Gujarāt in English)
    assert known.status_code == 422 and "Dit is al een naam van Gujarat." in known.text
    assert '<option value="IN-RJ" selected>Rajasthan</option>' in known.text, "the choice is kept"
    placed = secretariat.post(f"{portal}/secretariat/state-names", data={
        "csrf_token": form_token(page.text), "row": "0", "country": "IN", "name": "Rajastan", "state": "IN-RJ"})
    assert placed.status_code == 200 and "Opgeslagen. Rajastan is Rajasthan" in placed.text
    assert "Provincies en deelstaten om te plaatsen" not in placed.text
    wait_until(lambda: "Onbekende naam van een provincie of deelstaat: Rajastan (India)" in secretariat.get(
        f"{portal}/secretariat/alerts").text, "the secretariat's alert")


def test_the_secretariat_gives_a_company_a_new_sign_in_code_and_the_old_one_stops_working(portal, url):
    company = register_company(url("submission", ""), name="Marmer Handel B.V.")
    member = requests.Session()
    sign_in(member, portal, company["token"])
    assert member.get(f"{portal}/company").status_code == 200
    secretariat = requests.Session()
    sign_in(secretariat, portal, SECRETARIAT_TOKEN)
    page = secretariat.get(f"{portal}/secretariat/companies/{company['id']}")
    assert "Een nieuwe aanmeldcode" in page.text and "Geef een nieuwe aanmeldcode" in page.text
    forged = secretariat.post(f"{portal}/secretariat/companies/{company['id']}/token", data={"csrf_token": "x"})
    assert forged.status_code == 403
    assert sign_in(requests.Session(), portal, company["token"]).status_code == 303, "a forged form changed nothing"

    stray = secretariat.post(f"{portal}/secretariat/companies/{company['id']}/token",
                             data={"csrf_token": form_token(page.text)})
    assert stray.status_code == 422 and "Vink het vakje aan om te bevestigen" in stray.text, "one click is no yes"
    assert sign_in(requests.Session(), portal, company["token"]).status_code == 303, "the old code still works"
    given = secretariat.post(f"{portal}/secretariat/companies/{company['id']}/token",
                             data={"csrf_token": form_token(page.text), "confirm": "yes"})
    assert given.status_code == 200 and "Nieuwe aanmeldcode: Marmer Handel B.V." in given.text
    assert "De oude aanmeldcode werkt niet meer." in given.text
    new_code = re.search(r'id="token" class="w-full code" value="([^"]+)"', given.text).group(1)
    assert new_code != company["token"]
    assert member.get(f"{portal}/company", allow_redirects=False).headers["Location"] == "/sign-in", \
        "the session opened with the old code ends"
    assert sign_in(requests.Session(), portal, company["token"]).status_code == 401
    again = requests.Session()
    assert sign_in(again, portal, new_code).status_code == 303
    assert "Marmer Handel B.V." in again.get(f"{portal}/company").text


def test_the_secretariat_gives_an_authority_a_new_sign_in_code_from_the_list_of_authorities(portal, url):
    authority = requests.post(url("submission", "/v1/authorities"), headers=auth(SECRETARIAT_TOKEN), json={
        "name": "Gemeente Steenwijk", "country": "NL", "joined_on": "2020-03-01"}).json()
    secretariat = requests.Session()
    sign_in(secretariat, portal, SECRETARIAT_TOKEN)
    listed = secretariat.get(f"{portal}/secretariat/authorities")
    assert "Ja: de huidige code van Gemeente Steenwijk werkt meteen niet meer" in listed.text
    address = f"{portal}/secretariat/authorities/{authority['id']}/token"
    stray = secretariat.post(address, data={"csrf_token": form_token(listed.text), "page": "1"})
    assert stray.status_code == 422, "one click is no yes"
    assert f'id="f-confirm-{authority["id"]}-error"' in stray.text and "Vink het vakje aan" in stray.text, \
        "the question beside that authority's box"
    assert sign_in(requests.Session(), portal, authority["token"]).status_code == 303, "the old code still works"

    given = secretariat.post(address, data={"csrf_token": form_token(stray.text), "confirm": "yes"})
    assert given.status_code == 200 and "Nieuwe aanmeldcode: Gemeente Steenwijk" in given.text
    assert 'href="/secretariat/authorities"' in given.text
    new_code = re.search(r'id="token" class="w-full code" value="([^"]+)"', given.text).group(1)
    assert sign_in(requests.Session(), portal, authority["token"]).status_code == 401
    assert sign_in(requests.Session(), portal, new_code).status_code == 303


def test_the_secretariat_registers_an_authority_reads_its_alerts_checks_the_figures_and_rescores(
        container_factory, service_config, url, tmp_path):
    frameworks = shutil.copytree(SHIPPED_FRAMEWORKS, tmp_path / "frameworks")
    portal = start_portal(container_factory, {**service_config, "FRAMEWORKS_DIR": str(frameworks)}, url)
    company = register_company(url("submission", ""), name="Basalt Import B.V.")
    report = with_steps_1_and_21(blank_report(1, plan_of_approach=True))
    report["supply_chain"]["factories"] = {"known": 55, "total": 100}  # above year 1's threshold of 50 %
    report["quarry_regions"] = [{"country": "IN", "region": "Kotah", "state": None}]  # a name nobody knew
    assert requests.post(url("submission", "/v1/reports"), json=report,
                         headers=auth(company["token"])).status_code == 202
    secretariat = requests.Session()
    sign_in(secretariat, portal, SECRETARIAT_TOKEN)

    # Register a contracting authority: labelled fields, plain words on a mistake, a code that signs in.
    form = secretariat.get(f"{portal}/secretariat/register/authority")
    assert form.status_code == 200 and "<h1>Aanbestedende dienst inschrijven</h1>" in form.text
    assert '<label for="f-name">Naam</label>' in form.text and "Wat doet zij?" not in form.text, "no company's role"
    refused = secretariat.post(f"{portal}/secretariat/register/authority", data={
        "csrf_token": form_token(form.text), "name": "Gemeente Zwolle", "country": "NL", "joined_on.day": "31",
        "joined_on.month": "2", "joined_on.year": "2020"})
    assert refused.status_code == 422 and "Vul een bestaande datum in." in refused.text
    assert "Not a valid" not in refused.text and 'value="Gemeente Zwolle"' in refused.text
    registered = secretariat.post(f"{portal}/secretariat/register/authority", data={
        "csrf_token": form_token(form.text), "name": "Gemeente Zwolle", "country": "NL", "joined_on.day": "15",
        "joined_on.month": "1", "joined_on.year": "2020"})
    assert registered.status_code == 200 and "Ingeschreven: Gemeente Zwolle" in registered.text
    code = re.search(r'id="token" class="w-full code" value="([^"]+)"', registered.text).group(1)
    authority = requests.Session()
    assert sign_in(authority, portal, code).status_code == 303
    assert "Vraag naar een leverancier" in authority.get(f"{portal}/authority").text

    # Alerts: the region name nobody knew, in words.
    alerts = wait_until(lambda: "Kotah" in (page := secretariat.get(f"{portal}/secretariat/alerts")).text and page,
                        "the secretariat's alert of the unknown region")
    assert alerts.status_code == 200 and "<h1>Signalen</h1>" in alerts.text
    assert "signaal: onbekend groevegebied" in alerts.text and "alert_unknown_region" not in alerts.text
    assert '<a href="/secretariat/regions">Plaats de naam</a>' in alerts.text, "an alert links to where it is acted on"

    # The proof: asked for, it runs in the background; the figures counted again agree with those kept.
    never = secretariat.get(f"{portal}/secretariat/years/1/proof")
    assert "nog niet gecontroleerd" in never.text

    def checked(words):
        page = secretariat.get(f"{portal}/secretariat/years/1/proof")
        asked = secretariat.post(f"{portal}/secretariat/years/1/proof", data={"csrf_token": form_token(page.text)},
                                 allow_redirects=False)
        assert asked.status_code == 303
        return wait_until(lambda: "Gecontroleerd op" in (page := secretariat.get(
            f"{portal}/secretariat/years/1/proof")).text and words in page.text and page, "the check to be done")

    proof = checked("komen overeen")
    assert "<h1>Controle van de cijfers van jaar 1</h1>" in proof.text
    assert "1 rapportages en 2 leden opnieuw geteld vanaf het begin." in proof.text
    # Kept figures that differ are named in words, never by reporting's counter keys.
    reporting = mongo.database(service_config["MONGO_URI"], "reporting")
    reporting.sector_shards.update_one({"_id": "1:0"}, {"$inc": {
        "counters.region:IN:IN-RJ:bundi": 1, "counters.case_kind:complaint": 1,
        "counters.step:systematic_monitoring": 1, "counters.member_country_outcome:NL:compliant": 1}}, upsert=True)
    differing = checked("wijken")
    assert "De cijfers wijken op 4 plaatsen af van de herberekening." in differing.text
    for words in ("Groevegebied Bundi (Rajasthan, India)", "Zaken: klacht over een lid of zijn keten",
                  "Voortgang: Systematisch gemonitord", "Leden uit Nederland met uitkomst: voldoet aan de eisen"):
        assert words in differing.text
    cells = re.findall(r"<tr><td>([^<]*)</td>", differing.text)
    assert len(cells) == 4 and not [each for each in cells if re.search(r"_|\b[A-Z]{2}\b|IN-RJ", each)], cells

    # Rescoring: a broken framework file changes nothing and says so; a corrected one rescores the report.
    overview = secretariat.get(f"{portal}/secretariat?year=1")
    assert "Voldoet aan de eisen" in overview.text
    path = frameworks / "year-1.yaml"
    shipped = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**shipped, "maximum": 91}))
    failed = secretariat.post(f"{portal}/secretariat/years/1/rescore", data={"csrf_token": form_token(overview.text)})
    assert failed.status_code == 422 and "Jaar 1 is niet opnieuw beoordeeld" in failed.text
    assert "Er is niets veranderd." in failed.text
    assert "Het bestand van het beoordelingskader bevat een fout" in failed.text
    assert re.search(r"<details>.*year-1.yaml: maximum", failed.text, re.S), "the fault itself only in a detail"
    path.write_text(yaml.safe_dump({**shipped, "version": 2,
                                    "chain_thresholds": {**shipped["chain_thresholds"], "factories": 60}}))
    done = secretariat.post(f"{portal}/secretariat/years/1/rescore", data={"csrf_token": form_token(overview.text)})
    assert done.status_code == 200 and "<h1>Jaar 1 opnieuw beoordeeld</h1>" in done.text
    assert "Versie 2 van het kader: 1 rapportage kreeg een nieuwe beoordeling; ongewijzigd: 0." in done.text
    wait_until(lambda: "Heeft meer tijd nodig" in secretariat.get(f"{portal}/secretariat?year=1").text,
               "the members' list to show the new assessment")
    assert secretariat.post(f"{portal}/secretariat/years/1/rescore", data={"csrf_token": "forged"}
                            ).status_code == 403


def test_the_public_sees_a_years_report_only_once_the_secretariat_released_an_edition(portal, url):
    public = requests.Session()
    assert "Nog niet gepubliceerd" in public.get(f"{portal}/").text
    assert 'href="/sector/1/report"' not in public.get(f"{portal}/").text
    assert public.get(f"{portal}/sector/1/report").status_code == 404

    secretariat = requests.Session()
    sign_in(secretariat, portal, SECRETARIAT_TOKEN)
    for _ in range(2):
        company = register_company(url("submission", ""))
        requests.post(url("submission", "/v1/reports"), json=example_report(), headers=auth(company["token"]))
    page = wait_until(lambda: "Sindsdien zijn de bijdragen van 2 ondernemingen veranderd." in (
        found := secretariat.get(f"{portal}/secretariat/years/1/figures")).text and found, "2 reports counted")
    assert "Van dit jaar is nog niets gepubliceerd" in page.text
    assert "Nog niet mogelijk: eerst moet de bijdrage van nog 1 onderneming veranderen." in page.text
    assert "Beoordeelde rapportages" in page.text, "what a new edition would change, in words"
    refused = secretariat.post(f"{portal}/secretariat/years/1/editions", data={"csrf_token": form_token(page.text)})
    assert refused.status_code == 422
    assert "Er is geen editie gepubliceerd: eerst moet de bijdrage van nog 1 onderneming veranderen." in refused.text
    assert "<title>Fout:" in refused.text
    assert public.get(f"{portal}/sector/1/report").status_code == 404

    company = register_company(url("submission", ""))
    requests.post(url("submission", "/v1/reports"), json=example_report(), headers=auth(company["token"]))
    page = wait_until(lambda: "bijdragen van 3 ondernemingen veranderd" in (
        found := secretariat.get(f"{portal}/secretariat/years/1/figures")).text and found, "3 reports counted")
    released = secretariat.post(f"{portal}/secretariat/years/1/editions", data={"csrf_token": form_token(page.text)})
    assert released.status_code == 200 and "Editie 1 is gepubliceerd: het publiek leest nu deze." in released.text
    assert "Niets: een editie die nu verschijnt, zou dezelfde cijfers publiceren." in released.text
    home = public.get(f"{portal}/").text
    assert 'href="/sector/1/report"' in home and "Editie 1, gepubliceerd op" in home
    report = public.get(f"{portal}/sector/1/report")
    assert report.status_code == 200 and "Editie 1, gepubliceerd op" in report.text and "(door het secretariaat)" in report.text
    assert public.get(f"{portal}/sector/1/report?edition=1").text == report.text


# --- filing leaves no link, and limits hold (issue 24) ----------------------------------------------------------

@pytest.fixture
def proxied_portal(container_factory, service_config, url):
    """The platform behind an operator's proxy on this machine (TRUSTED_PROXIES): the proxy tells each
    service, and the portal, the client's address in X-Forwarded-For."""
    return start_portal(container_factory, {**service_config, "TRUSTED_PROXIES": "127.0.0.1/32"}, url)


def every_stored_document(service_config) -> list[str]:
    """Every document of every collection of every service's database (GridFS's files and chunks too)."""
    prefix = urlparse(service_config["MONGO_URI"]).path.strip("/") + "_"
    engine = mongo.client(service_config["MONGO_URI"])
    return [f"{name}.{collection}: {document!r}" for name in engine.list_database_names() if name.startswith(prefix)
            for collection in engine[name].list_collection_names() for document in engine[name][collection].find()]


def test_a_case_filed_through_the_portal_or_the_api_leaves_its_filers_address_in_no_log_line_and_no_store(
        proxied_portal, service_config, url, caplog):
    caplog.set_level(logging.DEBUG)  # every line any part of the platform writes, access lines included
    address = "198.51.100.10"
    through_proxy = {"X-Forwarded-For": address}
    filer = requests.Session()
    page = filer.get(f"{proxied_portal}/complaints/new", headers=through_proxy)
    filed = filer.post(f"{proxied_portal}/complaints/new", headers=through_proxy, data={
        "csrf_token": form_token(page.text), "kind": "complaint", "party": "Steengroeve Noord", "language": "nl",
        "what_happened": "De arbeiders hebben geen mondkapjes."},
        files=[("attachments", ("photo.jpg", photo_with_gps(), "image/jpeg"))])
    assert filed.status_code == 200 and "Uw melding is ontvangen" in filed.text
    code = re.search(r'id="follow-up-code" class="w-full code" value="([^"]+)"', filed.text).group(1)
    number = re.search(r"<strong>(K-\d{4}-\d{4})</strong>", filed.text).group(1)
    followed = filer.post(f"{proxied_portal}/complaints/follow", headers=through_proxy, data={
        "csrf_token": form_token(page.text), "number": number.lower(), "code": code.lower()})
    assert followed.status_code == 200 and "ontvangen" in followed.text and number in followed.text
    by_api = requests.post(url("complaints", "/v1/cases"), headers=through_proxy, json={
        "kind": "dispute", "party": "Steengroeve Zuid", "language": "en", "what_happened": "The gate is locked."})
    assert by_api.status_code == 201

    lines = [json_formatter().format(record) for record in caplog.records]
    assert any("POST /v1/cases HTTP" in line for line in lines) and any("POST /complaints/new HTTP" in line
                                                                        for line in lines) and any("case filed" in line for line in lines), \
        "the access lines and the service's own lines were captured"
    assert [line for line in lines if address in line] == []
    assert [line for line in lines if "PhoneMaker" in line or "Phone X Pro" in line] == [], \
        "nor what the photo said of the phone (Pillow's own debug lines name every EXIF tag)"
    stored = every_stored_document(service_config)
    kept_in = {each.split(":")[0] for each in stored}
    assert {"complaints.filings", "complaints.attachments.files", "complaints.attachments.chunks",
            "complaints.case_changes", "portal.sessions"} <= {name.split("_", 2)[-1] for name in kept_in}, kept_in
    assert [each for each in stored if address in each] == []
    assert [each for each in stored if "Steengroeve" in each] == [], "whom a case is about is sealed too"


def test_guessing_sign_in_codes_from_behind_rotating_headers_is_held_up_and_the_secretariat_still_signs_in(
        portal):
    own_browser = requests.Session()  # the secretariat signed in from this browser before
    assert sign_in(own_browser, portal, SECRETARIAT_TOKEN).status_code == 303
    page = own_browser.get(f"{portal}/secretariat")
    own_browser.post(f"{portal}/sign-out", data={"csrf_token": form_token(page.text)})

    guesser = requests.Session()
    form = guesser.get(f"{portal}/sign-in")
    answers = [guesser.post(f"{portal}/sign-in", headers={"X-Forwarded-For": f"203.0.113.{place}"},
                            data={"csrf_token": form_token(form.text), "token": f"guess-{place}"},
                            allow_redirects=False).status_code for place in range(25)]
    assert answers == [401] * 5 + [429] * 20, "X-Forwarded-For from a client no one named a proxy is not believed"
    assert sign_in(requests.Session(), portal, SECRETARIAT_TOKEN).status_code == 429, \
        "a browser that never signed in with the code waits"
    again = sign_in(own_browser, portal, SECRETARIAT_TOKEN)
    assert again.status_code == 303, "the secretariat's own browser is not locked out by the guesser beside it"
    assert "trustone_device" in own_browser.cookies


def test_portal_filings_with_rotating_headers_are_limited(portal):
    filer = requests.Session()
    answers = []
    for place in range(7):
        page = filer.get(f"{portal}/complaints/new")
        answers.append(filer.post(f"{portal}/complaints/new", headers={"X-Forwarded-For": f"198.51.100.{place}"},
                                  data={"csrf_token": form_token(page.text), "kind": "dispute", "language": "nl",
                                        "what_happened": f"Zaak {place}."}).status_code)
    assert answers == [200] * 5 + [429] * 2


def test_the_follow_up_page_takes_the_code_as_people_type_it_and_can_show_it(portal, url):
    filed = requests.post(url("complaints", "/v1/cases"), json={
        "kind": "dispute", "language": "en", "what_happened": "The gate is locked."}).json()
    visitor = requests.Session()
    page = visitor.get(f"{portal}/complaints/follow")
    assert 'type="password"' in page.text and 'data-show="f-code"' in page.text and "Toon de code" in page.text
    shown = visitor.post(f"{portal}/complaints/follow", data={
        "csrf_token": form_token(page.text), "number": f" {filed['number'].lower()} ",
        "code": filed["follow_up_code"].replace("-", " ").lower()})
    assert shown.status_code == 200 and filed["number"] in shown.text
    follow_up = {"csrf_token": form_token(shown.text), "number": filed["number"], "code": filed["follow_up_code"]}

    def add(content: bytes):
        return visitor.post(f"{portal}/complaints/follow/attachment", data=follow_up,
                            files={"attachment": ("photo.jpg", content, "image/jpeg")})
    too_large = add(b"\xff\xd8\xff" + bytes(6 * 1024 * 1024))
    assert too_large.status_code == 422 and 'id="f-attachment-error"' in too_large.text
    assert "Het bestand is groter dan 5 MB." in too_large.text and "De zaak bevat 0 bestanden." in too_large.text
    added = add(photo_with_gps())
    assert added.status_code == 200 and "Uw bestand is aan de zaak toegevoegd." in added.text
    assert "De zaak bevat 1 bestand." in added.text
    chosen_none = visitor.post(f"{portal}/complaints/follow/attachment", data=follow_up)
    assert chosen_none.status_code == 422 and "Kies een foto of pdf om toe te voegen." in chosen_none.text
    stranger = visitor.post(f"{portal}/complaints/follow/attachment", data={**follow_up, "code": "AAAA-BBBB"},
                            files={"attachment": ("photo.jpg", photo_with_gps(), "image/jpeg")})
    assert stranger.status_code == 404 and "Geen zaak heeft dit nummer en deze code." in stranger.text


def test_anyone_checks_a_proof_pasted_uploaded_or_from_its_qr_code_and_no_log_line_keeps_it(portal, url, caplog):
    caplog.set_level(logging.INFO)  # the access lines too
    company = register_company(url("submission", ""), name="Bewijs Graniet B.V.", language="en")
    member = requests.Session()
    sign_in(member, portal, company["token"])
    printed = member.post(f"{portal}/company/attestations", data={"csrf_token": form_token(
        member.get(f"{portal}/company").text)})
    assert printed.status_code == 200, printed.text
    proof = re.search(r'<textarea id="attestation"[^>]*>([^<]+)</textarea>', printed.text).group(1)
    english = {"Accept-Language": "en-GB"}
    check = f"{portal}/attestations/check"

    def said(answer, status=200):
        assert answer.status_code == status, answer.text
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.text))

    pasted = requests.post(check, headers=english, data={"attestation": f"{proof[:40]}\n{proof[40:]}\n"})
    uploaded = requests.post(check, headers=english, data={"attestation": ""},
                             files={"attestation_file": ("proof.jws", proof.encode() + b"\r\n", "text/plain")})
    scanned = requests.get(check, headers=english, params={"attestation": proof})
    for answer in (pasted, uploaded, scanned):
        assert "Genuine" in said(answer) and "It still holds, until" in said(answer)
        assert "Bewijs Graniet B.V." in said(answer)

    def beside_the_file(content, status=422):
        answer = requests.post(check, headers=english, files={"attestation_file": ("proof.jws", content, "text/plain")})
        field = re.search(r'<p class="field-error" id="f-attestation_file-error">(.*?)</p>', answer.text, re.S)
        assert answer.status_code == status and field, answer.text
        return said(answer, status) and re.sub(r"<[^>]+>", "", field.group(1))

    assert "not a photo or a PDF of it" in beside_the_file(photo_with_gps())
    assert "16 KB at most" in beside_the_file(b"a" * 20_000)
    assert beside_the_file(b"a" * 9_000), "too long to be one: the attestation service's words, beside the file"
    assert requests.post(check, files={"attestation_file": ("huge.jws", b"a" * 2_000_000)}).status_code == 413
    assert requests.get(check, params={"attestation": "\x00\xff" * 50}).status_code == 422
    assert 400 <= requests.get(check, params={"attestation": "a" * 20_000}).status_code < 500
    header, _, signature = proof.split(".")
    nested = base64.urlsafe_b64encode(b'{"member":' + b"[" * 2000 + b"]" * 2000 + b"}").rstrip(b"=").decode()
    assert "Not genuine" in said(requests.get(check, headers=english,
                                              params={"attestation": f"{header}.{nested}.{signature}"}))

    # Signed in, a check is the visitor's own: only from the portal's form; not signed in, as it says, if it does.
    assert member.post(check, data={"attestation": proof}).status_code == 403, "not without the session's form token"
    own = member.post(check, headers=english, data={"attestation": proof,
                                                    "csrf_token": form_token(member.get(check, headers=english).text)})
    assert "the member reads that the member company Bewijs Graniet B.V. checked its proof" in said(own)
    assert 'name="checked_by"' not in own.text, "signed in, who it is counts, not what it would say"
    linked = member.get(check, headers=english, params={"attestation": proof})  # a link, maybe another site's
    assert "this check was recorded without your name" in said(linked)
    bidi = requests.post(check, headers=english, data={"attestation": proof, "checked_by": "Gemeente\u202eZwolle"})
    assert bidi.status_code == 422 and 'id="f-checked_by-error"' in bidi.text, "refused beside the name"
    assert "Genuine" in said(requests.post(check, headers=english,
                                           data={"attestation": proof, "checked_by": "Gemeente <i>Zwolle</i>"}))
    listed = said(member.get(f"{portal}/company", headers=english))
    assert "checked on the platform 6 times" in listed
    assert "the member company Bewijs Graniet B.V." in listed
    assert "someone not signed in, who said to check for Gemeente &lt;i&gt;Zwolle&lt;/i&gt;" in listed
    assert listed.count("someone who did not say who they are or for whom") == 4, \
        "pasted, uploaded, scanned, and the signed-in member's opened from a link"
    assert listed.count("the member company Bewijs Graniet B.V.") == 1, "only its check from its own form"

    lines = [json_formatter().format(record) for record in caplog.records]
    assert any("GET /attestations/check?attestation=- HTTP" in line for line in lines), "the access lines"
    assert [line for line in lines if proof.split(".")[2] in line] == [], "no line keeps the proof's text"


def test_a_printed_proof_names_the_portal_s_public_address_not_the_one_its_request_came_to(
        container_factory, service_config, url):
    """Behind the proxy the portal is asked at an internal address (here the test's own): the proof names the
    one people reach."""
    portal = start_portal(container_factory, {**service_config, "PORTAL_PUBLIC_URL": "https://trustone.example/"},
                          url)
    company = register_company(url("submission", ""), name="Adres Graniet B.V.", language="en")
    member = requests.Session()
    sign_in(member, portal, company["token"])
    printed = member.post(f"{portal}/company/attestations", data={"csrf_token": form_token(member.get(f"{portal}/company").text)})
    assert printed.status_code == 200, printed.text
    assert "https://trustone.example/attestations/check" in printed.text  # the address to open, and the QR's
    assert portal.split("//")[1] not in printed.text, "the address the request came to is not printed"


def test_the_secretariat_pages_the_questions_and_reads_a_large_samples_names_at_once(
        container_factory, service_config, url):
    portal = start_portal(container_factory, {**service_config, "VERIFICATION_MINIMUM": 20}, url)
    secretariat_api = auth(SECRETARIAT_TOKEN)
    companies = [register_company(url("submission", ""), name=f"Steen {number:02d} B.V.") for number in range(20)]
    for each in companies:
        assert requests.post(url("submission", "/v1/reports"), json=blank_report(1),
                             headers=auth(each["token"])).status_code == 202
    authority = requests.post(url("submission", "/v1/authorities"), headers=secretariat_api,
                              json={"name": "Gemeente Delft", "country": "NL", "joined_on": "2020-02-01"}).json()
    wait_until(lambda: requests.get(url("notification", "/v1/supplier-questions"),
                                    headers=auth(authority["token"])).status_code == 200, "the authority known")
    for number in range(51):  # a page of 50 and one more, the oldest
        assert requests.post(url("notification", "/v1/supplier-questions"), headers=auth(authority["token"]),
                             json={"company_id": f"stranger-{number:02d}"}).status_code == 201
    secretariat = requests.Session()
    sign_in(secretariat, portal, SECRETARIAT_TOKEN)

    first = secretariat.get(f"{portal}/secretariat/questions")
    assert first.status_code == 200 and first.text.count("stranger-") == 50 and "51 vragen, pagina 1 van 2" in first.text
    assert 'href="/secretariat/questions?page=2"' in first.text and "stranger-50" in first.text
    last = secretariat.get(f"{portal}/secretariat/questions", params={"page": 2})
    assert last.text.count("stranger-") == 1 and "stranger-00" in last.text, "the oldest on the last page"
    assert "stranger-00" in secretariat.get(f"{portal}/secretariat/questions", params={"page": 99}).text

    # a sample of 20 (more than the 16 names the portal once asked for per request): every name shown
    wait_until(lambda: len(requests.get(url("scoring", "/v1/assessments"), params={"covenant_year": 1},
                                        headers=secretariat_api).json()) == 20, "every report assessed")
    drawn = requests.post(url("scoring", "/v1/verification/1/sample"), json={}, headers=secretariat_api)
    assert drawn.status_code in (200, 201) and len(drawn.json()["sampled"]) == 20, drawn.text
    page = secretariat.get(f"{portal}/secretariat/years/1/verification")
    assert page.status_code == 200
    assert all(each["name"] in page.text for each in companies), "every sampled company by its name"
