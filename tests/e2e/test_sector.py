"""End to end: the year-1 demo through the public API into four processes on the real RabbitMQ; the
sector figures, the proof, the exports and the HTML report (in a real headless browser)."""
import csv
import io
import json
import shutil
import subprocess

import pytest
import requests
from nameko.standalone.events import event_dispatcher

from launcher import demo
from tests.support import TRUSTONE, ApiContract, EventCapture, Platform, assert_seed_figures, auth, wait_until

pytestmark = pytest.mark.e2e


class Year1(Platform):
    """The platform with its clock in year 1's reporting round and the demo data set loaded: `loaded` is
    what `trustone demo` printed (each company's token), `scored` captures report_scored."""

    def load_demo(self) -> "Year1":
        self.scored = EventCapture(self.amqp_uri, "scoring", "report_scored")
        done = subprocess.run([TRUSTONE, "demo"], env=self.env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        self.loaded = json.loads(done.stdout)

        def everything_counted():
            shown = self.figures()
            return shown["assessed_reports"] == 26 and \
                shown["participation"]["contracting_authorities"]["end"] == 37
        wait_until(everything_counted, "26 assessed reports and 37 authorities", timeout=60)
        return self


@pytest.fixture(scope="module")
def year_1(vhost, processes):
    platform = Year1(vhost, processes, CLOCK=demo.data()["clock"]).start_all().load_demo()
    yield platform
    platform.scored.close()


def figures(platform):
    return platform.figures()


def check(platform):
    done = subprocess.run([TRUSTONE, "check-figures", "1"], env=platform.env, capture_output=True, text=True,
                          timeout=120)
    return done.returncode, done.stdout


def test_the_demo_gives_every_figure_of_the_first_annual_report(year_1):
    assert year_1.loaded["edition"] == 1, "the demo releases its edition"
    published = year_1.published()
    assert published["edition"]["number"] == 1 and published["edition"]["companies_changed"] == 26
    assert_seed_figures(published)
    assert_seed_figures(figures(year_1))
    contract = ApiContract(requests.get(year_1.url("reporting", "/openapi.json")).json())
    contract.check("GET", "/v1/sector/{covenant_year}", requests.get(year_1.url("reporting", "/v1/sector/1")))
    contract.check("GET", "/v1/sector/{covenant_year}", requests.get(year_1.url("reporting", "/v1/sector/9")))
    contract.check("GET", "/v1/sector/{covenant_year}/proof", requests.get(year_1.url("reporting", "/v1/sector/1/proof")))
    assert check(year_1) == (0, "covenant year 1: 26 reports and 73 members recomputed; the figures agree\n")


def test_each_company_that_needs_more_time_has_its_extension_to_1_april_2021(year_1):
    late = [entry["company"] for entry in demo.data()["reports"] if entry["expected_outcome"] == "needs_more_time"]
    assert len(late) == 5
    for ref in late:
        token = year_1.loaded["companies"][ref]["token"]

        def extension_noticed():
            items = year_1.inbox(token)["items"]
            return items if any(item["kind"] == "extension" for item in items) else None
        inbox = wait_until(extension_noticed, f"the extension notice of {ref}")
        extension = [item for item in inbox if item["kind"] == "extension"]
        assert len(extension) == 1 and extension[0]["about"] == {"date": "2021-04-01"}
        assert "1 april 2021" in extension[0]["body"]


def test_a_suppressed_cell_appears_in_no_format(year_1):
    shown = year_1.published()
    assert shown["outcomes_by_member_country"]["NL"]["needs_more_time"] == "suppressed"
    assert shown["risks"]["themes"]["forced_labour"] == "suppressed"
    exported = requests.get(year_1.url("reporting", "/v1/sector/1/export.csv"))
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = {(row["figure"], row["item"]): row["value"] for row in csv.DictReader(io.StringIO(exported.text))}
    assert rows[("outcomes_by_member_country.NL", "needs_more_time")] == "suppressed"
    assert rows[("risks.themes", "forced_labour")] == "suppressed"
    assert not any(figure == "production_countries" and item.startswith("BR ") for figure, item in rows)
    assert rows[("other_production_countries", "")] == "14"  # counted, not named
    assert rows[("outcomes", "compliant")] == "21"
    page = requests.get(year_1.url("reporting", "/v1/sector/1/report"))
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    row = page.text[page.text.index("<td>dwangarbeid</td>"):][:120]
    assert "afgeschermd" in row


def test_the_html_report_renders_in_a_real_browser(year_1, tmp_path):
    browser = shutil.which("chromium")
    assert browser, "Debian's chromium renders the report; .ci/run installs it"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    for language, title, label in (("nl", "Sectorrapportage convenantjaar 1", "Productielanden"),
                                   ("en", "Sector report, covenant year 1", "Production countries")):
        url = year_1.url("reporting", f"/v1/sector/1/report?lang={language}")
        dom = subprocess.run([browser, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
        assert f"<h1>{title}</h1>" in dom
        assert dom.count("<svg") == 4 and label in dom
        assert "<script" not in dom
        shot = tmp_path / f"report-{language}.png"
        subprocess.run([browser, *flags, "--window-size=1000,2400", f"--screenshot={shot}", url],
                       capture_output=True, timeout=120)
        assert shot.stat().st_size > 50_000, "the browser painted the page"
    assert "Turkije" in requests.get(year_1.url("reporting", "/v1/sector/1/report")).text
    assert requests.get(year_1.url("reporting", "/v1/sector/1/report?lang=fr")).status_code == 422


def test_a_resubmission_moves_a_company_and_neither_a_redelivery_nor_a_late_older_version_changes_anything(
        year_1):
    data = demo.data()
    entry = next(each for each in data["reports"] if each["company"] == "nl-importer-02")  # 27.8 %: band 20-40
    token = year_1.loaded["companies"]["nl-importer-02"]["token"]
    published = year_1.published()
    better = {**entry["report"], "monitoring": {"systematic": True, "effectiveness_evaluated": True}}  # + 15 points
    assert requests.post(year_1.url("submission", "/v1/reports"), json=better, headers=auth(token)).status_code == 202

    def moved_up():
        shown = figures(year_1)
        return shown if shown["bands"]["compliant"]["40-60"] == 12 else None
    moved = wait_until(moved_up, "the company to move to 40-60")
    assert moved["assessed_reports"] == 26
    assert moved["bands"]["compliant"] == {"<20": 0, "20-40": 7, "40-60": 12, ">=60": 2}
    assert moved["steps"]["systematic_monitoring"] == 4

    newest = year_1.scored.wait_for(27, timeout=30)[-1]
    assert newest["data"]["report_id"] == year_1.loaded["reports"]["nl-importer-02"]
    older = next(each for each in year_1.scored.received if each["data"]["report_id"] == newest["data"]["report_id"]
                 and each["data"]["version"] == 1)
    skipped = year_1.metric("reporting", "trustone_contributions_skipped_total")

    def both_skipped():
        return year_1.metric("reporting", "trustone_contributions_skipped_total") == skipped + 2
    dispatch = event_dispatcher({"AMQP_URI": year_1.amqp_uri})
    dispatch("scoring", "report_scored", newest)  # a redelivery
    dispatch("scoring", "report_scored", older)   # the older version arriving late
    wait_until(both_skipped, "the redelivery and the late older version to reach reporting")
    assert figures(year_1) == moved
    assert check(year_1)[0] == 0

    # The company sends its first report again: the year is back at the seed's figures for whoever reads next.
    assert requests.post(year_1.url("submission", "/v1/reports"), json=entry["report"],
                         headers=auth(token)).status_code == 202

    def back_at_the_seed():
        return figures(year_1)["bands"]["compliant"]["40-60"] == 11
    wait_until(back_at_the_seed, "the company to return to 20-40")
    assert_seed_figures(figures(year_1))
    assert year_1.published() == published, "the public's edition never moved with one company's versions"
