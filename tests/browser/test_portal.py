"""The portal in a real browser (Debian's Chromium) against every service as its own process on RabbitMQ,
used as people use it: by label, from the keyboard, on a phone. Every page visited is screenshot into
test-artifacts/ and checked with axe-core: no serious or critical violation."""
import base64
import json
import re
from urllib.parse import urlsplit

import pytest
import requests

from tests.support import (ROOT, SECRETARIAT_TOKEN, Browser, Platform, auth, blank_report, example_report,
                           register_company, wait_until)

pytestmark = pytest.mark.e2e  # run in a process of their own: scripts/test tests/browser
ROUND = "2020-12-15T09:00:00+00:00"  # year 1's reporting round: the due date is 31 December 2020
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


@pytest.fixture(scope="module")
def platform(vhost, processes):
    return Platform(vhost, processes, CLOCK=ROUND).start_all()


@pytest.fixture(scope="module")
def browser(request):
    opened = Browser(ROOT / "test-artifacts" / "portal")
    yield opened
    opened.close()


def looked_at(browser, page, name):
    violations = browser.look(page, name)
    assert violations == [], f"{name}: {violations}"


def seen(browser, page):
    """Every page a test reaches is screenshot and checked, named by its address (`browser` None: neither)."""
    if browser is not None:
        looked_at(browser, page, urlsplit(page.url).path.strip("/").replace("/", "-") or "start")


def visit(browser, page, address):
    page.goto(address)
    seen(browser, page)


def sign_in(browser, page, portal, code):
    """Signs in from the keyboard: the field has the focus it needs, Enter sends."""
    visit(browser, page, f"{portal}/sign-in")
    page.get_by_label(re.compile("aanmeldcode|sign-in code", re.I)).focus()
    page.keyboard.type(code)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    seen(browser, page)


def press(browser, page, button):
    """Presses a button that sends a form (or a link), and checks the page that answers."""
    with page.expect_navigation():
        button.click()
    seen(browser, page)


def test_a_company_reports_in_the_portal_and_the_secretariat_grants_it_a_date(platform, browser):
    portal = platform.url("portal")

    # The secretariat registers the company; its code is shown once.
    office = browser.person(locale="en-GB").new_page()
    visit(browser, office, portal)
    sign_in(browser, office, portal, SECRETARIAT_TOKEN)
    press(browser, office, office.get_by_role("link", name="Register a company"))
    office.get_by_label("Name", exact=True).fill("Blauwe Steen B.V.")
    office.get_by_label("Netherlands", exact=True).check()
    office.get_by_label("importer", exact=True).check()
    office.get_by_role("group", name="Does it import stone itself?").get_by_label("Yes", exact=True).check()
    office.get_by_label("Day", exact=True).fill("1")
    office.get_by_label("Month", exact=True).fill("10")
    office.get_by_label("Year", exact=True).fill("2019")
    office.get_by_label("Dutch", exact=True).check()
    office.get_by_label("E-mail address for notices").fill("dd@blauwesteen.example")
    press(browser, office, office.get_by_role("button", name="Register"))
    code = office.get_by_label("Sign-in code").input_value()
    assert len(code) >= 40

    # The company signs in, in Dutch, and starts its report from an empty form.
    member = browser.person(locale="nl-NL").new_page()
    sign_in(browser, member, portal, code)
    assert member.get_by_role("heading", name="Uw rapportages").is_visible()
    assert "31 december 2020" in member.content() and "nog 16 dagen" in member.content()
    press(browser, member, member.get_by_role("link", name="Vul uw rapportage over jaar 1 in"))

    member.get_by_label("Hoeveel ketens heeft u?").fill("8")
    for link, (known, total) in {"direct_suppliers": (5, 5), "factories": (4, 8), "quarry_regions": (2, 4),
                                 "quarries": (3, 12)}.items():
        member.locator(f"#f-supply_chain-{link}-known").fill(str(known))
        member.locator(f"#f-supply_chain-{link}-total").fill(str(total))
    press(browser, member, member.get_by_role("button", name="Land toevoegen"))
    member.locator("#f-production_countries-0").select_option("IN")
    press(browser, member, member.get_by_role("button", name="Land toevoegen"))
    member.locator("#f-production_countries-1").select_option("CN")
    press(browser, member, member.get_by_role("button", name="Groevegebied toevoegen"))
    member.locator("#f-quarry_regions-0-country").select_option("IN")
    suggested = "Array.from(document.getElementById('f-quarry_regions-0-region').list.options).map(o => o.value)"
    assert set(member.evaluate(suggested)) == {"Bundi", "Chittoor", "Prakasam", "Rangareddy"}  # India's
    member.locator("#f-quarry_regions-0-state").fill("Andhra Pradesh")
    assert member.evaluate(suggested) == ["Chittoor", "Prakasam"]  # the state's
    member.locator("#f-quarry_regions-0-region").fill("Prakasam")
    member.get_by_label("graniet", exact=True).check()
    press(browser, member, member.get_by_role("button", name="Risico toevoegen"))
    risk = member.get_by_role("group", name="Risico 1")
    risk.get_by_label("Thema", exact=True).select_option("health_and_safety")
    risk.get_by_label("Land", exact=True).select_option("IN")
    risk.get_by_label("Ernst", exact=True).select_option("high")
    risk.get_by_label("Waarschijnlijkheid").select_option("medium")
    risk.get_by_label("Werkelijk: het gebeurt").check()
    risk.get_by_label("Hoe vond u het?").select_option("site_visit")
    member.get_by_label("naar ernst en waarschijnlijkheid").check()
    member.get_by_label("We hebben een beleidsverklaring over due diligence vastgesteld").check()
    member.get_by_label("Het beleid is verankerd in ons management").check()
    press(browser, member, member.get_by_role("button", name="Maatregel toevoegen"))
    measure = member.get_by_role("group", name="Maatregel 1")
    measure.get_by_label("Soort maatregel").select_option("supplier_improvement")
    measure.get_by_label("Land", exact=True).select_option("IN")
    measure.get_by_label("Wat u deed").fill("Stofafzuiging in de fabriek in Ongole.")
    press(browser, member, member.get_by_role("button", name="Onderbouwing toevoegen"))
    evidence = member.get_by_role("group", name="Onderbouwing 1")
    evidence.get_by_label("Soort", exact=True).select_option("audit_report")
    evidence.get_by_label("Titel", exact=True).fill("Sociale audit Ongole")
    evidence.get_by_label("Dag", exact=True).fill("12")
    evidence.get_by_label("Maand", exact=True).fill("6")
    evidence.get_by_label("Jaar", exact=True).fill("2020")
    member.get_by_label("Waar rapporteert u publiek over uw due diligence?").fill("http://blauwesteen.example/dd")

    # A field error: summarised at the top, linked to the field, beside it; nothing typed is lost.
    press(browser, member, member.get_by_role("button", name="Bekijk eerst uw score (verstuurt nog niets)"))
    assert member.title().startswith("Fout:")
    summary = member.get_by_role("alert")
    assert "Vul een webadres in dat begint met https://." in summary.inner_text()
    assert member.evaluate("document.activeElement.id") == "error-summary", "the keyboard is taken to the summary"
    summary.get_by_role("link", name="Vul een webadres in dat begint met https://.").click()  # a link in the page
    url_field = member.get_by_label("Waar rapporteert u publiek over uw due diligence?")
    assert member.evaluate("document.activeElement.id") == "f-communication-public_report_url"
    assert url_field.get_attribute("aria-invalid") == "true"
    assert member.locator("#f-quarry_regions-0-region").input_value() == "Prakasam"
    assert member.locator("#f-evidence-0-title").input_value() == "Sociale audit Ongole"
    url_field.fill("https://blauwesteen.example/dd")

    press(browser, member, member.get_by_role("button", name="Bekijk eerst uw score (verstuurt nog niets)"))
    check = member.get_by_role("region", name="De beoordeling die deze rapportage zou krijgen", exact=True)
    assert "Er is nog niets verstuurd." in check.inner_text()
    assert "Wie van buiten de Europese Economische Ruimte importeert, moet een plan van aanpak bijvoegen." in check.inner_text()
    to_fix = check.locator(".to-fix").inner_text()
    assert to_fix.startswith("Om aan de eisen te voldoen, verbetert u dit:") and "Plan van aanpak: Wie van buiten" in \
        to_fix, "the preview says what to improve, not only the outcome"
    press(browser, member, member.get_by_role("button", name="Concept bewaren").last)
    assert "Uw concept is bewaard" in member.content()
    visit(browser, member, f"{portal}/company")
    assert "U bewaarde een concept van deze rapportage op 15 december 2020" in member.content()
    visit(browser, member, f"{portal}/company/years/1/report")

    # Another day: signed out and back in, the draft is there.
    press(browser, member, member.get_by_role("button", name="Afmelden"))
    sign_in(browser, member, portal, code)
    visit(browser, member, f"{portal}/company/years/1/report")
    assert "Dit is uw bewaarde concept." in member.content()
    assert member.locator("#f-production_countries-1").input_value() == "CN"
    assert member.get_by_label("Waar rapporteert u publiek over uw due diligence?").input_value() == \
        "https://blauwesteen.example/dd"
    press(browser, member, member.get_by_role("button", name="Rapportage versturen"))
    assert member.get_by_role("heading", name="Uw rapportage is verstuurd").is_visible()
    press(browser, member, member.get_by_role("link", name="Bekijk de beoordeling"))
    for _ in range(50):
        if "Score" in member.content():
            break
        member.wait_for_timeout(200)
        member.reload()
    assert "heeft meer tijd nodig" in member.content()
    assert "Er is geen plan van aanpak bijgevoegd." in member.content()
    looked_at(browser, member, "report-assessed")

    # The secretariat sees the company received and scored, and grants it its own date.
    for _ in range(50):  # the standing is the notification service's: it hears of the assessment as an event
        visit(browser, office, f"{portal}/secretariat?year=1&status=needs_more_time")
        if office.get_by_role("row", name=re.compile("Blauwe Steen B.V.")).count():
            break
        office.wait_for_timeout(200)
    row = office.get_by_role("row", name=re.compile("Blauwe Steen B.V."))
    assert "Needs more time" in row.inner_text() and "1 April 2021" in row.inner_text()
    press(browser, office, row.get_by_role("link", name="Blauwe Steen B.V."))
    grant = office.get_by_role("region", name="Grant an own date", exact=True)
    grant.get_by_label("Covenant year").select_option("1")
    grant.get_by_label("Day", exact=True).fill("15")
    grant.get_by_label("Month", exact=True).fill("5")
    grant.get_by_label("Year", exact=True).fill("2021")
    press(browser, office, grant.get_by_role("button", name="Grant the date"))
    assert "Own date 15 May 2021 granted for year 1" in office.content()
    press(browser, office, office.get_by_role("link", name="Quarry regions"))
    assert office.get_by_role("heading", name="Known quarry regions").is_visible()
    assert office.get_by_role("cell", name="Prakasam").is_visible()

    visit(browser, member, f"{portal}/company")
    assert "Uw eigen datum (verleend door het secretariaat)" in member.content()
    assert "15 mei 2021" in member.content()
    visit(browser, member, f"{portal}/notices")
    assert "Uitstel verleend tot 15 mei 2021 voor jaar 1" in member.content()

    # The company lost its code: the secretariat gives it a new one, and the session the old one opened ends.
    visit(browser, office, f"{portal}/secretariat?year=1&status=needs_more_time")
    press(browser, office, office.get_by_role("row", name=re.compile("Blauwe Steen B.V.")).get_by_role(
        "link", name="Blauwe Steen B.V."))
    press(browser, office, office.get_by_role("region", name="A new sign-in code", exact=True).get_by_role(
        "button", name="Give a new sign-in code"))
    assert "Tick the box to confirm" in office.get_by_role("alert").inner_text(), "one stray click changes nothing"
    office.get_by_label("Yes: Blauwe Steen B.V.'s current code stops working at once").check()
    press(browser, office, office.get_by_role("region", name="A new sign-in code", exact=True).get_by_role(
        "button", name="Give a new sign-in code"))
    assert office.get_by_role("heading", name="New sign-in code: Blauwe Steen B.V.").is_visible()
    assert len(office.get_by_label("Sign-in code").input_value()) > 20
    visit(browser, member, f"{portal}/company")
    assert member.url.endswith("/sign-in")


def test_a_reminder_counts_the_days_left_as_the_companys_page_does(platform, browser):
    portal = platform.url("portal")
    company = register_company(platform.url("submission"), name="Zandsteen Nieuw B.V.", joined_on="2020-06-30")
    member = browser.person(locale="nl-NL").new_page()
    sign_in(browser, member, portal, company["token"])

    def reminded():  # notification's timer looks every minute
        member.goto(f"{portal}/company")
        return "Herinnering" in member.get_by_role("region", name="Laatste berichten", exact=True).inner_text()
    wait_until(reminded, "the reminder of the 31 December due date", timeout=90, interval=2)
    seen(browser, member)
    year_1 = member.get_by_role("region", name="Convenantjaar 1", exact=True)
    notices = member.get_by_role("region", name="Laatste berichten", exact=True).inner_text()
    assert "nog 16 dagen" in year_1.inner_text(), "registered on 15 December: 16 days to 31 December"
    assert "De uiterste datum is 31 december 2020: nog 16 dagen." in notices, notices
    assert "dag(en)" not in notices and "over 30" not in notices
    assert member.locator("section.year h2").all_inner_texts()[:2] == ["Convenantjaar 1", "Convenantjaar 2"], \
        "the year whose deadline is 16 days off comes first"
    office = browser.person(locale="en-GB").new_page()
    sign_in(browser, office, portal, SECRETARIAT_TOKEN)
    visit(browser, office, f"{portal}/secretariat/companies/{company['id']}")
    assert office.locator("section.panel h2").all_inner_texts()[:2] == ["Covenant year 1", "Covenant year 2"], \
        "the secretariat reads the company's years in the order the company acts on them"


@pytest.mark.parametrize("locale,phone", [("en-GB", False), ("nl-NL", True)])
def test_the_secretariat_registers_a_founding_member_with_the_day_it_signed(platform, browser, locale, phone):
    portal = platform.url("portal")
    english = locale == "en-GB"
    office = browser.person(locale=locale, phone=phone).new_page()
    sign_in(browser, office, portal, SECRETARIAT_TOKEN)
    assert office.get_by_role("heading", level=1).inner_text() == \
        ("Members in covenant year 1" if english else "Leden in convenantjaar 1"), "year 1's round is open"
    visit(browser, office, f"{portal}/secretariat/register/authority")
    office.get_by_label("Naam" if not english else "Name", exact=True).fill(f"Gemeente Oudenaarde {locale}")
    office.get_by_label("Flanders" if english else "Vlaanderen", exact=True).check()
    joined = office.get_by_role("group", name="Joined the covenant on" if english else "Toegetreden tot het convenant op")
    for part, value in zip(("Day", "Month", "Year") if english else ("Dag", "Maand", "Jaar"), ("12", "6", "0201")):
        joined.get_by_label(part, exact=True).fill(value)
    press(browser, office, office.get_by_role("button", name="Register" if english else "Inschrijven"))
    said = office.locator("#f-joined_on-error").inner_text()
    assert ("1 January 2016" in said and "30 September 2069" in said) if english else \
        ("1 januari 2016" in said and "30 september 2069" in said), said
    assert "2016-01-01" not in office.content(), "dates in words, never as ISO"
    summary = office.get_by_role("alert").inner_text()
    assert ("Joined the covenant on: Enter a value from 1 January 2016" if english else
            "Toegetreden tot het convenant op: Vul een waarde in van 1 januari 2016") in summary, \
        "the summary names the field it points to"
    joined.get_by_label("Year" if english else "Jaar", exact=True).fill("2019")  # before the covenant's start
    press(browser, office, office.get_by_role("button", name="Register" if english else "Inschrijven"))
    assert office.get_by_label("Sign-in code" if english else "Aanmeldcode").input_value(), "registered"
    assert fits_the_screen(office) or not phone


def fits_the_screen(page) -> bool:
    """Nothing on the page reaches past the phone's width (390 CSS pixels)."""
    return page.evaluate("Math.max(...[...document.body.querySelectorAll('*')]"
                         ".map(each => each.getBoundingClientRect().right)) <= 391")


def words_broken_in_tables(page) -> list[str]:
    """The words of up to 14 letters that a table cell splits over two lines (a phone's table that breaks
    words letter by letter reads "He eft me er tijd nod ig"); a long address may still break."""
    return page.evaluate("""() => {
        const broken = [];
        for (const cell of document.querySelectorAll('td, th')) {
            const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                for (const word of node.data.matchAll(/\\p{L}{2,14}/gu)) {
                    const range = document.createRange();
                    range.setStart(node, word.index);
                    range.setEnd(node, word.index + word[0].length);
                    const lines = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
                    if (lines.size > 1) broken.push(word[0]);
                }
            }
        }
        return broken;
    }""")


def with_an_edition(platform):
    """Year 1's first edition, released once three companies sent a report: the public then reads the
    sector report."""
    if requests.get(platform.url("reporting", "/v1/sector/1/editions")).json()["editions"]:
        return
    for name in ("Editie Een B.V.", "Editie Twee B.V.", "Editie Drie B.V."):
        company = register_company(platform.url("submission"), name=name)
        requests.post(platform.url("submission", "/v1/reports"), json=blank_report(1), headers=auth(company["token"]))
    wait_until(lambda: platform.figures()["release"]["companies_changed"] >= 3, "three companies' reports counted")
    assert platform.release().status_code == 201


def test_the_public_pages_and_the_sector_report_read_well_on_a_phone(platform, browser):
    with_an_edition(platform)
    phone = browser.person(locale="nl-NL", phone=True).new_page()
    visit(browser, phone, platform.url("portal"))
    assert fits_the_screen(phone), "no sideways scrolling"
    figures = phone.get_by_role("link", name="Cijfers als spreadsheet (CSV), jaar 1").get_attribute("href")
    sheet = phone.request.get(platform.url("portal") + figures).text().splitlines()
    assert sheet[0] == "Convenantjaar;Cijfer;Waarde", "the figures in words, as a Dutch spreadsheet reads them"
    assert any(line.startswith("1;Beoordeelde rapportages;") for line in sheet)
    press(browser, phone, phone.get_by_role("link", name="English"))
    assert phone.get_by_role("heading", name="Due-diligence reporting of the natural-stone sector").is_visible()
    visit(browser, phone, f"{platform.url('portal')}/sign-in")
    assert fits_the_screen(phone)
    visit(browser, phone, f"{platform.url('portal')}/sector/1/report")
    assert phone.get_by_text("Edition 1, released on").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the report itself never scrolls sideways"
    smallest = phone.evaluate("Math.min(...[...document.querySelectorAll('svg text')].filter(each => "
                              "each.getBoundingClientRect().height > 0).map(each => "
                              "parseFloat(getComputedStyle(each).fontSize) * each.getScreenCTM().a))")
    assert smallest >= 11, f"a chart's smallest label is {smallest:.1f} px on the phone"
    assert words_broken_in_tables(phone) == [], "the report's tables keep their words whole on a phone"
    press(browser, phone, phone.get_by_role("link", name="Back to the TruStone portal"))
    assert phone.get_by_role("heading", name="Due-diligence reporting of the natural-stone sector").is_visible()


def test_the_report_form_and_the_members_table_fit_a_phone(platform, browser):
    portal = platform.url("portal")
    company = register_company(platform.url("submission"), name="Leisteen Groothandel en Import B.V.")
    member = browser.person(locale="nl-NL", phone=True).new_page()
    sign_in(browser, member, portal, company["token"])
    visit(browser, member, f"{portal}/company/years/1/report")
    for add in ("Land toevoegen", "Groevegebied toevoegen", "Risico toevoegen", "Maatregel toevoegen",
                "Onderbouwing toevoegen"):
        press(browser, member, member.get_by_role("button", name=add))
    assert member.get_by_role("group", name="Risico 1").is_visible()
    assert fits_the_screen(member), "the report form, with a row of each kind, needs no sideways scrolling"

    office = browser.person(locale="en-GB", phone=True).new_page()
    sign_in(browser, office, portal, SECRETARIAT_TOKEN)
    assert office.get_by_role("row", name=re.compile("Leisteen Groothandel en Import B.V.")).is_visible()
    assert fits_the_screen(office), "the members table needs no sideways scrolling"
    assert words_broken_in_tables(office) == [], "no word in the members table is broken over two lines"


def test_an_authority_asks_about_a_supplier_and_the_secretariat_verifies_a_sample(platform, browser):
    portal = platform.url("portal")
    supplier = register_company(platform.url("submission"), name="Zandsteen Import B.V.")
    register_company(platform.url("submission"), name="Zandsteen Bewerking B.V.", role="processor",
                     imports_directly=False)
    requests.post(platform.url("submission", "/v1/reports"), json=blank_report(1),
                  headers=auth(supplier["token"])).raise_for_status()
    authority = requests.post(platform.url("submission", "/v1/authorities"), headers=auth(SECRETARIAT_TOKEN),
                              json={"name": "Gemeente Utrecht", "country": "NL", "joined_on": "2020-01-15"}).json()

    asker = browser.person(locale="nl-NL").new_page()
    sign_in(browser, asker, portal, authority["token"])
    assert asker.get_by_role("heading", name="Vraag naar een leverancier").is_visible()
    asker.get_by_label("Naam van de onderneming").fill("zandsteen")
    press(browser, asker, asker.get_by_role("button", name="Zoek leden"))
    press(browser, asker, asker.get_by_role("button", name="Vraag naar Zandsteen Import B.V."))
    answer = asker.get_by_role("table")
    assert "op tijd" in answer.inner_text() and "%" not in answer.inner_text(), "never a score"
    assert "heeft meer tijd nodig: zij heeft tot 1 april 2021, de inhaaldatum van het jaar" in answer.inner_text()
    visit(browser, asker, f"{portal}/authority?name=bewerking")
    press(browser, asker, asker.get_by_role("button", name="Vraag naar Zandsteen Bewerking B.V."))
    assert "Zandsteen Bewerking B.V. importeert zelf geen natuursteen. Het convenant vraagt alleen van leden die " \
           "zelf importeren een jaarlijkse rapportage, dus zij hoeft niet te rapporteren" in asker.content()

    member = browser.person(locale="nl-NL").new_page()
    sign_in(browser, member, portal, supplier["token"])
    asked = member.get_by_role("region", name="Aanbestedende diensten die naar u vroegen", exact=True)
    assert "Gemeente Utrecht" in asked.inner_text()

    office = browser.person(locale="en-GB").new_page()
    sign_in(browser, office, portal, SECRETARIAT_TOKEN)
    press(browser, office, office.get_by_role("link", name="Questions about suppliers"))
    assert "Zandsteen Import B.V." in office.get_by_role("table").inner_text()
    press(browser, office, office.get_by_role("link", name="Contracting authorities"))
    row = office.get_by_role("row", name=re.compile("Gemeente Utrecht"))
    assert row.inner_text().split("\t")[:4] == [
        "Gemeente Utrecht", "Netherlands", "15 January 2020", "2"], "its name, when it joined, its two questions"
    row.get_by_text("Give a new sign-in code").click()  # it lost its code: the row's form unfolds
    press(browser, office, row.get_by_role("button", name="Give Gemeente Utrecht a new code"))
    assert "Tick the box to confirm: the authority's current code stops working" in \
        office.get_by_role("alert").inner_text(), "one click is no yes"
    office.get_by_label("Yes: Gemeente Utrecht's current code stops working at once").check()  # open beside it
    press(browser, office, office.get_by_role("button", name="Give Gemeente Utrecht a new code"))
    assert office.get_by_role("heading", name="New sign-in code: Gemeente Utrecht").is_visible()
    new_code = office.get_by_label("Sign-in code").input_value()
    assert new_code and new_code != authority["token"]
    press(browser, office, office.get_by_role("link", name="Back to the contracting authorities"))
    visit(browser, office, f"{portal}/secretariat/years/1/verification")
    assert "Reports for year 1 are due by 31 December 2020. A sample drawn now" in office.content(), \
        "drawn before the due date, the sample leaves out the reports still to come: the page says so"
    office.get_by_label("Seed of the draw (optional)").fill("commission-2021-03-01")
    press(browser, office, office.get_by_role("button", name="Draw the sample"))
    assert "with seed commission-2021-03-01" in office.content()
    first = office.get_by_role("region").first
    press(browser, office, first.get_by_role("button", name=re.compile("Record for")))
    assert office.title().startswith("Error:")
    first = office.get_by_role("region").first
    first.get_by_role("radio", name="corrected").check()
    first.get_by_label("What was corrected, and why").fill("Quarries known: 2 of 10, not 10.")
    first.get_by_label("Day", exact=True).fill("15")
    first.get_by_label("Month", exact=True).fill("3")
    first.get_by_label("Year", exact=True).fill("2021")
    press(browser, office, first.get_by_role("button", name=re.compile("Record for")))
    assert "Enter the day the verification was done: today, 15 December 2020, or earlier." in \
        office.get_by_role("alert").inner_text(), "a verification is recorded once it is done"
    first = office.get_by_role("region").first
    first.get_by_label("Day", exact=True).fill("14")
    first.get_by_label("Month", exact=True).fill("12")
    first.get_by_label("Year", exact=True).fill("2020")
    press(browser, office, first.get_by_role("button", name=re.compile("Record for")))
    assert "The verification is recorded." in office.content()
    assert "Corrected, 14 December 2020: Quarries known" in office.get_by_role("region").first.inner_text()


def test_anyone_files_a_complaint_which_the_commission_works_and_the_company_answers(platform, browser, tmp_path):
    portal = platform.url("portal")
    company = register_company(platform.url("submission"), name="Marmer Import B.V.")
    chair = platform.chair()
    photo = tmp_path / "dust.png"
    photo.write_bytes(base64.b64decode(PNG))

    worker = browser.person(locale="en-GB").new_page()
    visit(browser, worker, portal)
    press(browser, worker, worker.get_by_role("link", name="Report a problem to the complaints commission"))
    worker.get_by_role("radio", name="complaint about a member or its supply chain").check()
    worker.get_by_label("The member company concerned (if it is one)").select_option(label="Marmer Import B.V.")
    worker.get_by_label("What happened?").fill("Dust in the cutting hall; the masks ran out in March.")
    worker.get_by_label("Where did it happen?").fill("Ongole, India")
    notes = tmp_path / "notes.png"
    notes.write_bytes(b"only text, though it is named like a photo")
    worker.get_by_label("Photos or documents (optional)").set_input_files([str(photo), str(notes)])
    press(browser, worker, worker.get_by_role("button", name="Send to the commission"))
    assert "File 2 is not a photo (JPEG or PNG) or a PDF." in worker.locator("#f-attachments-error").inner_text()
    assert worker.get_by_label("What happened?").input_value().startswith("Dust in the cutting hall"), \
        "what was typed comes back; the files are chosen again"
    assert "the platform removes what they say besides what they show" in \
        worker.locator("#f-attachments-hint").inner_text(), "the form says what is taken out of the files"
    worker.get_by_label("Photos or documents (optional)").set_input_files(str(photo))
    press(browser, worker, worker.get_by_role("button", name="Send to the commission"))
    number = re.search(r"K-\d{4}-\d{4}", worker.content()).group(0)
    code = worker.get_by_label("Follow-up code").input_value()

    press(browser, worker, worker.get_by_role("link", name="Follow your case").last)
    worker.get_by_label("Case number").fill(number)
    worker.get_by_label("Follow-up code").fill("not the code")
    press(browser, worker, worker.get_by_role("button", name="Show the case"))
    assert "No case has this number and code." in worker.content() and "Dust in the" not in worker.content()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){4}", code), "a code in groups, to read, copy and type"
    worker.get_by_label("Case number").fill(number.lower())  # typed as people type it
    typed = worker.get_by_label("Follow-up code")
    typed.fill(code.lower().replace("-", " "))
    assert typed.get_attribute("type") == "password"
    worker.get_by_role("button", name="Show the code").click()
    assert typed.get_attribute("type") == "text", "the code typed can be read before it is sent"
    assert worker.get_by_role("button", name="Hide the code").get_attribute("aria-pressed") == "true"
    looked_at(browser, worker, "complaints-follow-code-shown")
    press(browser, worker, worker.get_by_role("button", name="Show the case"))
    assert "received" in worker.get_by_role("table").inner_text()
    assert "The case holds 1 file." in worker.content()
    worker.get_by_label("Add a photo or a PDF").set_input_files(str(notes))  # a photo taken later, and text
    press(browser, worker, worker.get_by_role("button", name="Add the file to the case"))
    assert "The file is not a photo (JPEG or PNG) or a PDF." in worker.locator("#f-attachment-error").inner_text()
    worker.get_by_label("Add a photo or a PDF").set_input_files(str(photo))
    press(browser, worker, worker.get_by_role("button", name="Add the file to the case"))
    assert "Your file has been added to the case." in worker.get_by_role("status").inner_text()
    assert "The case holds 2 files." in worker.content()

    commission = browser.person(locale="nl-NL").new_page()
    sign_in(browser, commission, portal, chair["token"])
    for attempt in range(50):  # the chair's registration reaches the complaints service as an event
        commission.goto(f"{portal}/cases/{number}")
        if commission.get_by_role("heading", name="Zet de volgende stap").count():
            break
        commission.wait_for_timeout(200)
    assert "Dust in the cutting hall" in commission.content() and "anoniem" in commission.content()
    assert "Marmer Import B.V." in commission.locator("dl.summary").inner_text(), "whom the case is about"
    assert "Taal die de indiener koos\nEngels" in commission.locator("dl.summary").inner_text(), \
        "the commission writes to the filer in the language it chose"
    looked_at(browser, commission, "commission-case")
    for step, extra in (("bevestigd", None), ("ontvankelijkheid beslist", "ja")):
        commission.get_by_role("radio", name=step, exact=True).check()
        if extra:
            commission.get_by_role("group", name="Is de zaak ontvankelijk?").get_by_label("Ja").check()
            commission.get_by_label("Deel wat er gebeurde met de onderneming").check()
        commission.get_by_label("Waarom deze stap").fill(f"De commissie zet de stap: {step}.")
        press(browser, commission, commission.get_by_role("button", name="Zet de stap"))
        assert "De stap is gezet en vastgelegd." in commission.content(), commission.content()[:3000]
    steps = commission.get_by_role("table").inner_text()
    assert "ontvankelijkheid beslist: ontvankelijk" in steps, "the commission reads which way it was decided"
    worker.goto(f"{portal}/complaints/follow")
    worker.get_by_label("Case number").fill(number)
    worker.get_by_label("Follow-up code").fill(code)
    press(browser, worker, worker.get_by_role("button", name="Show the case"))
    assert "admissibility decided: admissible" in worker.get_by_role("table").inner_text(), \
        "the complainant reads whether its case was accepted"

    member = browser.person(locale="nl-NL").new_page()
    sign_in(browser, member, portal, company["token"])
    press(browser, member, member.get_by_role("link", name=number, exact=True))
    assert "Dust in the cutting hall" in member.content() and "anoniem" not in member.content()
    member.get_by_label("Uw bericht").fill("Er zijn nieuwe maskers besteld.")
    press(browser, member, member.get_by_role("button", name="Versturen"))
    assert "Uw bericht is verstuurd." in member.content()


@pytest.mark.parametrize("locale,phone", [("nl-NL", False), ("en-GB", True)])
def test_an_authority_that_mistypes_a_suppliers_name_is_offered_the_near_names(platform, browser, locale, phone):
    portal = platform.url("portal")
    english = locale == "en-GB"
    if not phone:
        register_company(platform.url("submission"), name="Kasteelsteen B.V.")
    authority = requests.post(platform.url("submission", "/v1/authorities"), headers=auth(SECRETARIAT_TOKEN),
                              json={"name": f"Gemeente Breda {locale}", "country": "NL",
                                    "joined_on": "2020-01-15"}).json()
    asker = browser.person(locale=locale, phone=phone).new_page()
    sign_in(browser, asker, portal, authority["token"])
    asker.get_by_label("Name of the company" if english else "Naam van de onderneming").fill("Kastelsteen")
    press(browser, asker, asker.get_by_role("button", name="Search members" if english else "Zoek leden"))
    found = asker.get_by_role("region", name="Members found" if english else "Gevonden leden", exact=True).inner_text()
    if english:
        assert "No member's name holds “Kastelsteen”." in found and "Did you mean one of these members?" in found
        assert "may still be a member under another name" in found and "is not a member" not in found
    else:
        assert "Geen naam van een lid bevat ‘Kastelsteen’." in found and "Bedoelde u een van deze leden?" in found
        assert "kan toch lid zijn onder een andere naam" in found and "is geen lid" not in found
    assert fits_the_screen(asker) or not phone
    press(browser, asker, asker.get_by_role("button", name=("Ask about " if english else "Vraag naar ") +
                                            "Kasteelsteen B.V."))
    assert asker.get_by_role("table").count() == 1, "the answer about the member meant"


def scored_report(platform, company, report) -> str:
    """Sends `report` as `company` over the API and waits until it is assessed; its id."""
    sent = requests.post(platform.url("submission", "/v1/reports"), json=report, headers=auth(company["token"]))
    assert sent.status_code == 202, sent.text
    wait_until(lambda: requests.get(platform.url("scoring", f"/v1/reports/{sent.json()['id']}/assessment"),
                                    headers=auth(company["token"])).status_code == 200, "the report scored")
    return sent.json()["id"]


def appealed(browser, page, portal, report_id, reasons) -> str:
    """The company contests its plan of approach on its report's page; the case number."""
    visit(browser, page, f"{portal}/reports/{report_id}")
    page.locator("summary").first.click()
    page.locator("input[name=criteria][value=plan_of_approach]").first.check()
    page.locator("textarea[name=reasons]").first.fill(reasons)
    press(browser, page, page.locator("form[action$=appeal] button").first)
    return re.search(r"K-\d{4}-\d{4}", page.content()).group(0)


def test_the_commissions_message_on_an_appeal_reaches_the_company_on_its_case_and_in_its_notices(platform, browser):
    portal = platform.url("portal")
    company = register_company(platform.url("submission"), name="Leisteen Import B.V.", language="en")
    report_id = scored_report(platform, company, example_report())
    chair = platform.chair()
    member = browser.person(locale="en-GB").new_page()
    sign_in(browser, member, portal, company["token"])
    number = appealed(browser, member, portal, report_id, "Our plan of approach was attached to version 1.")

    commission = browser.person(locale="nl-NL").new_page()
    sign_in(browser, commission, portal, chair["token"])
    visit(browser, commission, f"{portal}/cases/{number}")
    writing = commission.get_by_role("region", name="Schrijf over de zaak", exact=True)
    assert writing.get_by_role("radio").count() == 0, "an appeal's filer is the company: no choice to make"
    assert "Aan Leisteen Import B.V., die het bezwaar indiende" in writing.inner_text()
    commission.get_by_label("Uw bericht").fill("Stuur het plan van aanpak opnieuw mee, als PDF.")
    press(browser, commission, commission.get_by_role("button", name="Versturen"))
    assert "Uw bericht is verstuurd." in commission.content()

    def told():
        member.goto(f"{portal}/notices")
        return "The commission wrote to you about case " + number in member.content()
    wait_until(told, "the company's notice of the commission's message")
    seen(browser, member)
    press(browser, member, member.get_by_role("link", name=f"Open case {number}").first)
    messages = member.get_by_role("list").filter(has_text="Stuur het plan").inner_text()
    assert "the commission → the company concerned" in messages and "Stuur het plan van aanpak opnieuw" in messages
    for phone_page in (browser.person(locale="en-GB", phone=True).new_page(),):
        sign_in(None, phone_page, portal, company["token"])
        visit(browser, phone_page, f"{portal}/cases/{number}")
        assert fits_the_screen(phone_page)


def every_answer_shown(page, english: bool):
    """The read-only copy of examples/report.json: countries, regions, risks, measures and evidence."""
    text = page.get_by_role("main").inner_text()
    expected = (["India", "China", "Vietnam", "Bundi, Rajasthan, India", "Yên Định", "health and safety",
                 "site visit", "Social audit of the Kota factory", "12 June 2020", "granite"] if english else
                ["India", "China", "Vietnam", "Bundi, Rajasthan, India", "Yên Định", "gezondheid en veiligheid",
                 "Social audit of the Kota factory", "12 juni 2020", "graniet"])
    assert all(each in text for each in expected), [each for each in expected if each not in text]


def test_a_sent_version_is_read_in_full_by_the_company_the_secretariat_and_on_appeal_the_commission(platform,
                                                                                                    browser):
    portal = platform.url("portal")
    company = register_company(platform.url("submission"), name="Basalt Import B.V.", language="en")
    report_id = scored_report(platform, company, example_report())
    other = register_company(platform.url("submission"), name="Kwartsiet B.V.")
    address = f"{portal}/reports/{report_id}/versions/1"

    member = browser.person(locale="en-GB").new_page()
    sign_in(browser, member, portal, company["token"])
    visit(browser, member, f"{portal}/reports/{report_id}")
    press(browser, member, member.get_by_role("link", name="Every answer sent in version 1"))
    every_answer_shown(member, english=True)
    phone = browser.person(locale="nl-NL", phone=True).new_page()
    sign_in(None, phone, portal, SECRETARIAT_TOKEN)
    visit(browser, phone, address)
    every_answer_shown(phone, english=False)
    assert fits_the_screen(phone)

    stranger = browser.person(locale="en-GB").new_page()
    sign_in(None, stranger, portal, other["token"])
    assert stranger.goto(address).status == 404, "another company reads nothing of it"
    chair = browser.person(locale="nl-NL").new_page()
    sign_in(None, chair, portal, platform.chair()["token"])
    assert chair.goto(address).status == 403, "the commission reads a report only through an appeal"

    number = appealed(browser, member, portal, report_id, "Our plan of approach was attached.")
    visit(browser, chair, f"{portal}/cases/{number}")
    press(browser, chair, chair.get_by_role("link", name="Lees alle antwoorden van de versie"))
    every_answer_shown(chair, english=False)
    assert "Betwiste criteria" in chair.content()


def test_a_company_sends_its_evidence_as_files_which_the_read_only_view_links(platform, browser, tmp_path):
    """Issue 27, item 11: an audit report and the plan of approach go with the report as files; a file
    refused loses nothing chosen or typed; the sent version links each file, for the company, the
    secretariat and, on appeal, the commission, and for no one else."""
    from tests.support import pdf_with_document_info
    portal = platform.url("portal")
    company = register_company(platform.url("submission"), name="Travertijn Import B.V.", language="en")
    report_id = scored_report(platform, company, example_report())
    audit, plan, wrong = tmp_path / "audit.pdf", tmp_path / "plan.png", tmp_path / "plan.pdf"
    audit.write_bytes(pdf_with_document_info())
    plan.write_bytes(base64.b64decode(PNG))
    wrong.write_bytes(b"only text, though it is named like a PDF")

    member = browser.person(locale="en-GB").new_page()
    sign_in(browser, member, portal, company["token"])
    visit(browser, member, f"{portal}/company/years/1/report")  # starts from version 1
    member.get_by_label("File of evidence 1").set_input_files(str(audit))
    member.get_by_label("Your plan of approach as a file").set_input_files(str(wrong))
    member.get_by_label("Title").first.fill("Social audit of the Kota factory, 2020")
    press(browser, member, member.get_by_role("button", name="Send the report"))
    assert "The file is not a photo (JPEG or PNG) or a PDF." in \
        member.locator("#f-plan_of_approach_file-error").inner_text(), "the refusal beside the file's input"
    assert member.get_by_role("link", name=re.compile("Your plan of approach as a file")).is_visible(), \
        "the summary names the field"
    assert "A file is attached." in member.locator("#f-evidence-0-file-hint").inner_text(), \
        "the audit chosen before the error is kept"
    assert member.get_by_label("Title").first.input_value() == "Social audit of the Kota factory, 2020"
    member.get_by_label("Your plan of approach as a file").set_input_files(str(plan))
    press(browser, member, member.get_by_role("button", name="Send the report"))
    assert member.get_by_role("heading", name="Your report has been sent").is_visible()
    assert "Covenant year 1, version 2." in member.get_by_role("main").inner_text()

    address = f"{portal}/reports/{report_id}/versions/2"
    visit(browser, member, address)
    for name, kind in (("File of evidence 1", "application/pdf"), ("Plan of approach", "image/png")):
        link = member.get_by_role("link", name=name, exact=True)
        fetched = member.request.get(portal + link.get_attribute("href"))
        assert (fetched.status, fetched.headers["content-type"]) == (200, kind), name
    audit_href = member.get_by_role("link", name="File of evidence 1", exact=True).get_attribute("href")
    assert b"Jan Jansen" not in member.request.get(portal + audit_href).body(), "its author is taken out"
    assert "PDF document" in member.get_by_role("main").inner_text()

    office = browser.person(locale="nl-NL", phone=True).new_page()
    sign_in(None, office, portal, SECRETARIAT_TOKEN)
    visit(browser, office, address)
    assert office.get_by_role("link", name="Bestand van onderbouwing 1").is_visible()
    assert fits_the_screen(office)
    stranger = browser.person(locale="en-GB").new_page()
    sign_in(None, stranger, portal, register_company(platform.url("submission"), name="Onyx B.V.")["token"])
    assert stranger.request.get(portal + audit_href).status == 404, "another company reads no file of it"

    wait_until(lambda: len(requests.get(platform.url("scoring", f"/v1/reports/{report_id}/assessments"),
                                        headers=auth(company["token"])).json()) == 2, "version 2 assessed")
    appeal = requests.post(platform.url("complaints", "/v1/appeals"), headers=auth(company["token"]), json={
        "report_id": report_id, "version": 2, "criteria": ["plan_of_approach"],
        "reasons": "Our plan of approach is attached to version 2."})
    assert appeal.status_code == 201, appeal.text
    number = appeal.json()["number"]
    chair = browser.person(locale="nl-NL").new_page()
    sign_in(None, chair, portal, platform.chair()["token"])
    assert chair.request.get(portal + audit_href).status == 403, "no file outside an appeal's case"
    visit(browser, chair, f"{portal}/cases/{number}/report")
    link = chair.get_by_role("link", name="Plan van aanpak", exact=True)
    assert link.get_attribute("href").startswith(f"/cases/{number}/report/files/")
    fetched = chair.request.get(portal + link.get_attribute("href"))
    assert (fetched.status, fetched.headers["content-type"]) == (200, "image/png")


def test_the_chair_seats_a_member_the_secretariat_registered_and_reads_who_saw_a_filers_name(platform, browser):
    """Issue 24: a seat the secretariat registers counts only once the chair confirms it in the portal (the
    member's code shown once, to the chair); the chair gives a member a new code; and the chair reads every
    reading of a filer's identity."""
    portal = platform.url("portal")
    office = browser.person(locale="en-GB", phone=True).new_page()  # the secretariat registers the seat
    sign_in(browser, office, portal, SECRETARIAT_TOKEN)
    press(browser, office, office.get_by_role("link", name="The commission", exact=True))
    form = office.get_by_role("region", name="Register a member of the commission", exact=True)
    form.get_by_label("Name").fill("Els Vakbond")
    form.get_by_label("member for the trade unions and NGOs").check()
    form.get_by_label("E-mail address for notices").fill("els@example")
    form.get_by_label("English").check()
    press(browser, office, form.get_by_role("button", name="Register"))
    assert office.locator("#f-email-error").is_visible(), "the refusal beside its field"
    office.get_by_label("E-mail address for notices").fill("els@example.org")
    press(browser, office, office.get_by_role("button", name="Register"))
    assert "Els Vakbond is registered as member for the trade unions and NGOs. The seat waits for the chair's " \
           "confirmation" in office.get_by_role("status").inner_text()
    assert "waiting for the chair's confirmation" in office.get_by_role("row", name=re.compile("Els Vakbond")) \
        .inner_text() and "Sign-in code" not in office.content(), "no code for the secretariat"
    filed = requests.post(platform.url("complaints", "/v1/cases"), json={
        "kind": "complaint", "party": "Groeve Bundi", "language": "nl", "name": "S. Meena",
        "contact": "+91 98765 43210", "what_happened": "Children carry stones at the quarry."}).json()

    chair = browser.person(locale="nl-NL").new_page()  # the chair reads Dutch, its registered language
    sign_in(browser, chair, portal, platform.chair()["token"])
    press(browser, chair, chair.get_by_role("link", name="Leden van de commissie"))
    waiting = chair.get_by_role("region", name="Zetels die op uw bevestiging wachten", exact=True)
    assert "Els Vakbond" in waiting.inner_text() and "lid namens vakbonden en ngo's" in waiting.inner_text()
    press(browser, chair, waiting.get_by_role("button", name="Bevestig de zetel van Els Vakbond"))
    assert chair.get_by_role("heading", name="Zetel bevestigd: Els Vakbond").is_visible()
    code = chair.get_by_label("Aanmeldcode").input_value()
    assert len(code) >= 40

    member = browser.person(locale="en-GB").new_page()
    sign_in(browser, member, portal, code)
    assert member.get_by_role("link", name="Members of the commission").count() == 0, "the chair's pages"
    for attempt in range(50):  # the confirmation reaches the complaints service as an event
        member.goto(f"{portal}/cases/{filed['number']}")
        if "S. Meena" in member.content():
            break
        member.wait_for_timeout(200)
    assert "S. Meena" in member.locator("dl.summary").inner_text()
    assert "the commission's chair can see who it was and when" in member.content()
    looked_at(browser, member, "commission-member-case")
    assert member.goto(f"{portal}/commission/identity-readings").status == 403

    press(browser, chair, chair.get_by_role("link", name="Wie de naam van een indiener zag"))
    rows = chair.get_by_role("table").inner_text()
    assert f"Els Vakbond (lid namens vakbonden en ngo's)\t{filed['number']}\tnaam, contactgegevens" in rows
    press(browser, chair, chair.get_by_role("link", name="Leden van de commissie"))
    seated = chair.get_by_role("region", name="Wie in de commissie zit", exact=True)
    press(browser, chair, seated.get_by_role("button", name="Nieuwe aanmeldcode voor Els Vakbond"))
    assert chair.get_by_role("heading", name="Nieuwe aanmeldcode: Els Vakbond").is_visible()
    assert chair.get_by_label("Aanmeldcode").input_value() != code
    again = browser.person(locale="en-GB").new_page()
    sign_in(browser, again, portal, code)
    assert "This sign-in code is not known." in again.content(), "the old code no longer signs in"


# --- every page of every role -------------------------------------------------------------------------------

CRAWL_LIMIT = 60  # pages per role and language: far more than any role has
DOWNLOADS = re.compile(r"(\.csv|\.svg|/attachments/[^/]+|/files/[^/]+)$")  # files: their status is checked, not their look
NOT_TO_FOLLOW = ("/language/",)  # the language switch: each language is crawled on its own


def path_pattern(path: str) -> str:
    """A path with its ids, numbers and case numbers as {}: one visit per kind of page, not per record."""
    return "/".join("{}" if any(char.isdigit() for char in part) or len(part) >= 20 else part
                    for part in path.split("/"))


def crawl(browser, page, portal: str, name: str, seeds: list[str], known=frozenset()) -> dict[str, int]:
    """Visits every page reachable by a same-origin link from `seeds` (one per path pattern; none of the
    patterns `known`, checked already), screenshots and checks each with axe-core; returns each visited
    pattern's status. Fails on any 5xx, any violation, or a page wider than the window (on a phone)."""
    from collections import deque
    from urllib.parse import urljoin, urlsplit
    waiting, statuses, problems = deque(seeds), {}, []
    while waiting and len(statuses) < CRAWL_LIMIT:
        address = urlsplit(urljoin(portal + "/", waiting.popleft()))
        if f"{address.scheme}://{address.netloc}" != portal or address.path.startswith(NOT_TO_FOLLOW):
            continue
        pattern = path_pattern(address.path)
        if pattern in statuses or pattern in known:
            continue
        target = address._replace(fragment="").geturl()
        if DOWNLOADS.search(address.path):
            statuses[pattern] = page.request.get(target).status
            continue
        statuses[pattern] = page.goto(target).status
        arrived = path_pattern(urlsplit(page.url).path)  # "/" sends a member on to its own start page
        if arrived != pattern:
            if arrived in statuses:
                continue
            pattern = arrived
            statuses[pattern] = statuses[path_pattern(address.path)]
        violations = browser.look(page, f"{name}{pattern.replace('/', '-').replace('{}', 'x')}")
        width = page.viewport_size["width"]
        if page.evaluate("document.documentElement.scrollWidth") > width:  # a phone never scrolls a page sideways
            violations.append({"id": "scrolls-sideways", "width": width})
        if violations or statuses[pattern] >= 500:
            problems.append((target, statuses[pattern], violations))
        waiting.extend(page.eval_on_selector_all("a[href]", "links => links.map(each => each.href)"))
    assert problems == [], f"{name}: {problems}"
    assert all(status < 500 for status in statuses.values()), statuses
    return statuses


def test_every_page_of_every_role_in_both_languages_has_no_serious_accessibility_problem(platform, browser):
    portal = platform.url("portal")
    company = register_company(platform.url("submission"), name="Kalksteen Import B.V.")
    report = requests.post(platform.url("submission", "/v1/reports"), json=blank_report(1),
                           headers=auth(company["token"])).json()
    # A region and a state nobody knows yet: the secretariat's regions page then shows both of its forms.
    other = register_company(platform.url("submission"), name="Graniet Handel B.V.")
    unknown = blank_report(1, quarry_regions=[{"country": "IN", "region": "Jhalawar", "state": "Rajastan"}])
    requests.post(platform.url("submission", "/v1/reports"), headers=auth(other["token"]), json=unknown)
    authority = requests.post(platform.url("submission", "/v1/authorities"), headers=auth(SECRETARIAT_TOKEN),
                              json={"name": "Gemeente Gent", "country": "BE", "joined_on": "2020-01-15"}).json()
    member = platform.commission_member("employers", name="Werkgevers")
    filed = requests.post(platform.url("complaints", "/v1/cases"), files={
        "case": (None, json.dumps({"kind": "complaint", "company_id": company["id"], "language": "en",
                                   "what_happened": "No masks in the cutting hall.", "where": "Bundi"}),
                 "application/json"),
        "attachments": ("dust.png", base64.b64decode(PNG), "image/png")})
    assert filed.status_code == 201, filed.text
    number = filed.json()["number"]
    wait_until(lambda: number in requests.get(platform.url("complaints", "/v1/cases"),
                                              headers=auth(member["token"])).text, "the commission to see the case")
    wait_until(lambda: requests.get(platform.url("scoring", f"/v1/reports/{report['id']}/assessment"),
                                    headers=auth(company["token"])).status_code == 200, "the report scored")
    with_an_edition(platform)

    # Each role: who signs in, and the error pages it may meet (an address it may not see, or that is not there).
    roles = {"public": (None, {"/no-such-page": 404}),
             "company": (company["token"], {"/secretariat": 403, f"/reports/{'0' * 32}": 404}),
             "secretariat": (SECRETARIAT_TOKEN, {f"/secretariat/companies/{'0' * 32}": 404}),
             "authority": (authority["token"], {"/company": 403}),
             "commission": (member["token"], {"/cases/K-2000-0001": 404, "/commission/members": 403}),
             "chair": (platform.chair()["token"], {"/cases/K-2000-0001": 404})}
    visited = {}
    # Each role's pages in Dutch on a desktop and in English on a phone.
    for language, locale, phone in (("nl", "nl-NL", False), ("en", "en-GB", True)):
        for role, (code, error_pages) in roles.items():
            page = browser.person(locale=locale, phone=phone).new_page()
            if code:
                sign_in(None, page, portal, code)  # the sign-in page is the public's
            page.goto(f"{portal}/language/{language}?next=/")
            assert page.evaluate("document.documentElement.lang") == language
            # The pages everyone sees (complaints, the sector report) are checked once, in the public's crawl.
            public = {pattern for pattern in visited.get(("public", language), ()) if pattern != "/"}
            visited[role, language] = crawl(browser, page, portal, f"crawl-{role}-{language}", ["/"], public)
            for address, status in error_pages.items():
                assert page.goto(portal + address).status == status, address
                looked_at(browser, page, f"crawl-{role}-{language}-error-{status}")
            page.context.close()

    for language in ("nl", "en"):  # each role's pages were found by their links, and the errors are pages
        assert {"/", "/sign-in", "/complaints/new", "/complaints/follow", "/sector/{}/report",
                "/sector/{}/figures.csv"} <= visited["public", language].keys()
        assert {"/company", "/company/years/{}/report", "/reports/{}", "/notices"} <= \
            visited["company", language].keys()
        assert {"/secretariat", "/secretariat/register/company", "/secretariat/register/authority",
                "/secretariat/authorities", "/secretariat/commission",
                "/secretariat/alerts", "/secretariat/questions", "/secretariat/regions", "/secretariat/cases",
                "/secretariat/members.csv", "/secretariat/companies/{}", "/secretariat/years/{}/proof",
                "/secretariat/years/{}/figures",
                "/secretariat/years/{}/verification", "/reports/{}", "/cases/{}"} <= \
            visited["secretariat", language].keys()
        assert {"/authority"} <= visited["authority", language].keys()
        assert {"/commission", "/cases/{}", "/cases/{}/attachments/{}", "/notices"} <= \
            visited["commission", language].keys()
        assert {"/commission/members", "/commission/identity-readings"} <= visited["chair", language].keys()
        assert "/notices" in visited["authority", language].keys()
        for role in roles:
            assert all(status == 200 for status in visited[role, language].values()), visited[role, language]


def test_the_secretariat_pages_through_many_members_and_keeps_one_state(platform, browser):
    """It registers more members than a page holds (with whatever members tests before it registered)."""
    for number in range(55):
        register_company(platform.url("submission"), name=f"Pagina Steen {number:03} B.V.")
    office = browser.person(locale="en-GB").new_page()
    sign_in(browser, office, platform.url("portal"), SECRETARIAT_TOKEN)
    visit(browser, office, f"{platform.url('portal')}/secretariat?year=1")
    caption = office.locator("caption").inner_text()
    total, pages = map(int, re.search(r"(\d+) members, page 1 of (\d+)", caption).groups())
    assert total >= 55 and pages == -(-total // 50) and office.locator("tbody tr").count() == 50
    first_page = office.locator("tbody tr td:first-child").all_inner_texts()
    assert first_page == sorted(first_page, key=str.casefold), "by name"
    press(browser, office, office.get_by_role("link", name="Next page"))
    assert "page 2 of" in office.locator("caption").inner_text()
    assert not set(office.locator("tbody tr td:first-child").all_inner_texts()) & set(first_page)
    assert office.get_by_role("link", name="Previous page").is_visible()

    choice = office.get_by_label("Where they stand")
    label = next(each for each in choice.locator("option").all_inner_texts() if each.startswith("Not yet received"))
    choice.select_option(label=label)
    press(browser, office, office.get_by_role("button", name="Show"))
    kept = int(re.search(r"\((\d+)\)", label).group(1))
    assert re.match(rf"{kept} members", office.locator("caption").inner_text())
    assert set(office.locator("tbody tr td:nth-child(3)").all_inner_texts()) == {"Not yet received"}


def test_the_secretariat_pages_through_the_questions_about_suppliers(platform, browser):
    """An authority asks more questions than a page holds (with whatever questions tests before it asked)."""
    secretariat = auth(SECRETARIAT_TOKEN)
    authority = requests.post(f"{platform.url('submission')}/v1/authorities", headers=secretariat, json={
        "name": "Gemeente Paginavragen", "country": "NL", "joined_on": "2020-02-01"}).json()
    own = auth(authority["token"])
    wait_until(lambda: requests.get(f"{platform.url('notification')}/v1/supplier-questions", headers=own).ok,
               "the authority known to notification")
    for number in range(52):
        assert requests.post(f"{platform.url('notification')}/v1/supplier-questions", headers=own,
                             json={"name": f"Vraagsteen {number:03}"}).status_code == 201
    office = browser.person(locale="en-GB").new_page()
    sign_in(browser, office, platform.url("portal"), SECRETARIAT_TOKEN)
    visit(browser, office, f"{platform.url('portal')}/secretariat/questions")
    total, pages = map(int, re.search(r"(\d+) questions, page 1 of (\d+)", office.content()).groups())
    assert total >= 52 and pages == -(-total // 50) and office.locator("tbody tr").count() == 50
    first_page = office.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert "not a member: Vraagsteen 051" in first_page, "newest first"
    press(browser, office, office.get_by_role("link", name="Next page"))
    assert "page 2 of" in office.content() and office.get_by_role("link", name="Previous page").is_visible()
    assert not set(office.locator("tbody tr td:nth-child(3)").all_inner_texts()) & set(first_page)


@pytest.mark.parametrize("locale,phone", [("nl-NL", False), ("en-GB", True)])
def test_a_member_prints_a_proof_of_membership_that_anyone_checks(platform, browser, locale, phone):
    portal = platform.url("portal")
    english = locale == "en-GB"
    company = register_company(platform.url("submission"), name=f"Bewijs Steen {locale}", joined_on="2019-10-01",
                               language="en" if english else "nl")
    member = browser.person(locale=locale, phone=phone).new_page()
    sign_in(browser, member, portal, company["token"])
    press(browser, member, member.get_by_role("button", name="Download a proof of membership" if english
                                              else "Bewijs van deelname downloaden"))
    statement = member.get_by_role("main").inner_text()
    assert f"Bewijs Steen {locale}" in statement
    assert ("since 1 October 2019" if english else "sinds 1 oktober 2019") in statement
    assert member.get_by_role("img", name=re.compile("QR")).count() == 1
    attestation = member.get_by_label("The signed proof, as text" if english
                                      else "Het ondertekende bewijs, als tekst").input_value()
    assert attestation.count(".") == 2
    assert fits_the_screen(member) or not phone

    # The QR code's address opens the check; anyone pastes the text on the public page, signed in or not.
    checker = browser.person(locale=locale, phone=phone).new_page()
    visit(browser, checker, portal)
    press(browser, checker, checker.get_by_role("link", name="Check a proof of membership" if english
                                                else "Een bewijs van deelname controleren"))
    checker.get_by_label("The proof's text" if english else "De tekst van het bewijs").fill(attestation)
    checker.get_by_label("Whom you check for (if you wish)" if english
                         else "Voor wie u controleert (als u wilt)").fill(f"Gemeente Proefstad {locale}")
    press(browser, checker, checker.get_by_role("button", name="Check the proof" if english else "Controleer het bewijs"))
    answer = checker.get_by_role("region", name="The answer" if english else "Het antwoord", exact=True).inner_text()
    assert ("Genuine" if english else "Echt") in answer
    assert ("It still holds, until" if english else "Het geldt nog, tot en met") in answer
    assert f"Bewijs Steen {locale}" in answer
    named = checker.get_by_label("Whom you check for (if you wish)" if english else "Voor wie u controleert (als u wilt)")
    assert named.input_value() == f"Gemeente Proefstad {locale}", "kept for the next check"
    named.fill("")  # this time it says nothing
    checker.get_by_label("Or choose a file that holds it" if english else "Of kies een bestand dat het bevat"
                         ).set_input_files({"name": "proof.jws", "mimeType": "text/plain", "buffer": attestation.encode()})
    press(browser, checker, checker.get_by_role("button", name="Check the proof" if english else "Controleer het bewijs"))
    assert ("Genuine" if english else "Echt") in checker.get_by_role("region", name="The answer" if english
                                                                     else "Het antwoord", exact=True).inner_text(), "uploaded"
    header, payload, signature = attestation.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["member"]["name"] = "Someone Else B.V."
    changed = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    visit(browser, checker, f"{portal}/attestations/check?attestation={header}.{changed}.{signature}")
    refused = checker.get_by_role("region", name="The answer" if english else "Het antwoord", exact=True).inner_text()
    assert ("Not genuine" if english else "Niet echt") in refused
    assert ("It does not match what the platform issued under its number" if english
            else "Het komt niet overeen met wat het platform onder zijn nummer uitgaf") in refused

    # A contracting authority, signed in, opens the proof's QR code address: checked as no one (another site could
    # send it there), then checks it with the page's own button: checked as who it is.
    secretariat = auth(SECRETARIAT_TOKEN)
    authority = requests.post(f"{platform.url('submission')}/v1/authorities", headers=secretariat, json={
        "name": f"Gemeente Controle {locale}", "country": "NL", "joined_on": "2020-02-01"}).json()
    officer = browser.person(locale=locale, phone=phone).new_page()
    sign_in(browser, officer, portal, authority["token"])
    visit(browser, officer, f"{portal}/attestations/check?attestation={attestation}")
    assert ("Genuine" if english else "Echt") in officer.get_by_role(
        "region", name="The answer" if english else "Het antwoord", exact=True).inner_text()
    assert ("recorded without your name" if english else "zonder uw naam vastgelegd") in officer.get_by_role(
        "main").inner_text()
    press(browser, officer, officer.get_by_role("button", name="Check the proof" if english else "Controleer het bewijs"))
    assert (f"the member reads that the contracting authority Gemeente Controle {locale} checked its proof" if english
            else f"het lid leest dat de aanbestedende dienst Gemeente Controle {locale} zijn bewijs controleerde"
            ) in officer.get_by_role("main").inner_text()
    assert ("recorded without your name" if english else "zonder uw naam vastgelegd") not in officer.get_by_role(
        "main").inner_text()

    # The member sees each check on the platform, when and by whom: as who it was, or as what was said.
    visit(browser, member, f"{portal}/company")
    proofs = member.get_by_role("region", name="Proof of membership" if english else "Bewijs van deelname", exact=True).inner_text()
    assert ("checked on the platform 4 times" if english else "4 keer gecontroleerd op het platform") in proofs
    for said in ((f"the contracting authority Gemeente Controle {locale}",
                  "someone who did not say who they are or for whom",
                  f"someone not signed in, who said to check for Gemeente Proefstad {locale}") if english else
                 (f"de aanbestedende dienst Gemeente Controle {locale}",
                  "iemand die niet zei wie het was of voor wie",
                  f"iemand die niet was aangemeld en zei te controleren voor Gemeente Proefstad {locale}")):
        assert said in proofs, said
    assert proofs.index("Gemeente Controle") < proofs.index("Gemeente Proefstad"), "newest first"
    assert fits_the_screen(member) or not phone
