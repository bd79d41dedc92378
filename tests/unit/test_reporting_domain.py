"""Sector figures from contributions, and disclosure control, without a broker."""
import json
from datetime import date

import pytest

from common import covenant
from services.reporting import render
from services.reporting.dependencies import seed_regions
from services.reporting.domain import (SUPPRESSED, Disclosure, Gazetteer, Region, changes, companies_changed,
                                       companies_needed, contribution, difference, figures, key, listed_regions,
                                       next_edition_due, protect_table, shown_places, split, summed)
from tests.support import blank_report, company, scored_event, with_steps_1_and_21

RULES = Disclosure(min_companies=3, min_region_companies=6)
GAZETTEER = Gazetteer(seed_regions())


def figures_of(*scored, participation=None, gazetteer=GAZETTEER):
    counters = summed(contribution(each["report"], each["assessment"], each["company"], each["progress"], gazetteer)
                      for each in scored)
    return figures(1, counters, participation or {}, None, RULES,
                   shown_places(listed_regions(counters, RULES), gazetteer, {}))


def test_counter_keys_are_safe_mongodb_field_names_and_read_back():
    name = key("region", "IN", "St. Mary's $pit")
    assert "." not in name and not name.startswith("$")
    assert split(name) == ["region", "IN", "St. Mary's $pit"]


def test_compliant_and_late_companies_make_the_figures():
    compliant = [scored_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), company()) for _ in range(3)]
    late = scored_event(blank_report(), company())
    shown = figures_of(*compliant, late)
    assert shown["assessed_reports"] == 4
    assert shown["outcomes"] == {"compliant": 3, "needs_more_time": 1}
    assert shown["bands"]["all"] == {"<20": 1, "20-40": 3, "40-60": 0, ">=60": 0}
    assert shown["bands"]["compliant"] == {"<20": 0, "20-40": 3, "40-60": 0, ">=60": 0}
    assert shown["requirements"]["plan_of_approach"] == {"met": 3, "applicable": 4}
    assert shown["steps"]["policy_and_chain_mapping_complete"] == 3


def test_a_distribution_resting_on_fewer_than_3_companies_is_suppressed_as_a_whole():
    """With two reports each company could read the other's outcome outright; with two compliant companies
    among many, their bands would be theirs."""
    two = [scored_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), company()),
           scored_event(blank_report(), company())]
    shown = figures_of(*two)
    assert shown["assessed_reports"] == 2
    for section in (shown["outcomes"], shown["bands"]["all"], shown["chains_per_company"],
                    shown["requirements"]["min_score"], shown["steps"]["mitigation"]):
        assert set(section.values()) == {SUPPRESSED}
    assert shown["steps"]["systematic_monitoring"] == SUPPRESSED
    assert shown["risks"]["companies_with_any_risk"] == SUPPRESSED
    many = [*two, *(scored_event(blank_report(), company()) for _ in range(3))]  # 1 compliant of 5
    shown = figures_of(*many)
    assert shown["outcomes"] == {"compliant": 1, "needs_more_time": 4}
    assert set(shown["bands"]["compliant"].values()) == {SUPPRESSED}
    assert shown["bands"]["all"]["<20"] == 4
    nobody = figures_of(*(scored_event(blank_report(), company()) for _ in range(3)))  # none compliant
    assert nobody["bands"]["compliant"] == {"<20": 0, "20-40": 0, "40-60": 0, ">=60": 0}, "resting on none"


def test_replacing_a_contribution_adds_only_the_difference():
    who = company()
    old = scored_event(blank_report(), who)
    new = scored_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), who, version=2)
    before = contribution(old["report"], old["assessment"], who, old["progress"], GAZETTEER)
    after = contribution(new["report"], new["assessment"], who, new["progress"], GAZETTEER)
    assert summed([before, difference(after, before)]) == after
    assert difference(after, after) == {}


def test_means_and_attribute_cells_on_fewer_than_3_companies_are_suppressed_none_included():
    two = [scored_event(blank_report(production_countries=["IN", "BR"], materials=["granite"]), company())
           for _ in range(2)]
    shown = figures_of(*two)
    assert shown["supply_chain"] == {"mean_quarries_known_percent": SUPPRESSED,
                                     "mean_factories_known_percent": SUPPRESSED}
    # a country is named from 3 companies; the others are counted, never named
    assert shown["production_countries"] == [] and shown["other_production_countries"] == 2
    # none and one or two read alike: "0" turning into "suppressed" between editions would tell a change
    assert shown["materials"]["granite"] == SUPPRESSED and shown["materials"]["slate"] == SUPPRESSED
    third = scored_event(blank_report(production_countries=["IN"], materials=["granite"]), company())
    shown = figures_of(*two, third)
    assert [(each["country"], each["companies"]) for each in shown["production_countries"]] == [("IN", 3)]
    assert shown["other_production_countries"] == 1
    assert shown["supply_chain"]["mean_quarries_known_percent"] == 0.0


def test_means_are_exact_means_of_each_company_share():
    reports = []
    for known in (1, 2, 4):  # of 8 quarries: 12.5 %, 25 %, 50 %
        report = blank_report()
        report["supply_chain"]["quarries"] = {"known": known, "total": 8}
        reports.append(scored_event(report, company()))
    assert figures_of(*reports)["supply_chain"]["mean_quarries_known_percent"] == 29.2


def test_a_quarry_region_is_listed_only_from_six_companies():
    bundi = {"country": "IN", "region": "Bundi", "state": "Rajasthan"}
    kota = {"country": "IN", "region": "Kota", "state": "Rajasthan"}
    reports = [scored_event(blank_report(quarry_regions=[bundi] + ([kota] if n < 5 else [])), company())
               for n in range(6)]
    assert figures_of(*reports)["quarry_regions"] == [
        {"country": "IN", "state": "IN-RJ", "state_name": "Rajasthan", "region": "Bundi", "companies": 6}]
    assert figures_of(*reports[:5])["quarry_regions"] == []


def regions_typed(*names, state=None):
    return [scored_event(blank_report(quarry_regions=[{"country": "IN", "region": name, "state": state}]), company())
            for name in names]


def test_spellings_of_one_region_count_as_one_region():
    shown = figures_of(*regions_typed("Bundi", "bundi", "Bundi ", "Bundi district", "BUNDI", "Boondi",
                                      state="Rajasthan"))
    assert [(each["region"], each["state"], each["companies"]) for each in shown["quarry_regions"]] == [
        ("Bundi", "IN-RJ", 6)]


def test_a_known_region_named_without_its_state_counts_in_its_state():
    shown = figures_of(*regions_typed("Bundi", "bundi", "Bundi"), *regions_typed("Bundi", "Bundi", "Boondi",
                                                                                    state="IN-RJ"))
    assert [(each["region"], each["state_name"], each["companies"]) for each in shown["quarry_regions"]] == [
        ("Bundi", "Rajasthan", 6)]


def test_a_company_naming_one_region_twice_counts_once_and_a_new_spelling_moves_the_count():
    one = scored_event(blank_report(quarry_regions=[{"country": "IN", "region": "Kota", "state": "IN-RJ"},
                                                    {"country": "IN", "region": "Kotah", "state": "IN-RJ"}]), company())
    others = regions_typed("Kota", "Kota", "Kota", "Kota", "Kota", state="Rajasthan")
    before = figures_of(one, *others)["quarry_regions"]
    assert [(each["region"], each["companies"]) for each in before] == [("kota", 6)]  # unknown, by its key
    known = Gazetteer([*GAZETTEER.regions, Region("IN", "IN-RJ", "Kota", ("Kotah",))], revision=1)
    counters = contribution(one["report"], one["assessment"], one["company"], one["progress"], GAZETTEER)
    assert known.recounted(counters)[key("region", "IN", "IN-RJ", "kota")] == 1
    assert known.recounted(known.recounted(counters)) == known.recounted(counters)
    after = figures_of(one, *others, gazetteer=known)["quarry_regions"]
    assert [(each["region"], each["companies"]) for each in after] == [("Kota", 6)]


@pytest.mark.parametrize("table,expected", [
    # nothing small: nothing hidden
    ({"NL": {"a": 10, "b": 4}, "BE": {"a": 9, "b": 3}}, {"NL": {"a": 10, "b": 4}, "BE": {"a": 9, "b": 3}}),
    # one small cell: its row and column would give it away, so a 2 x 2 table hides every cell
    ({"NL": {"a": 10, "b": 4}, "BE": {"a": 9, "b": 2}},
     {"NL": {"a": SUPPRESSED, "b": SUPPRESSED}, "BE": {"a": SUPPRESSED, "b": SUPPRESSED}}),
    # a zero is hidden like a small cell (none and one read alike), and protected like one
    ({"NL": {"a": 10, "b": 0}, "BE": {"a": 9, "b": 0}},
     {"NL": {"a": SUPPRESSED, "b": SUPPRESSED}, "BE": {"a": SUPPRESSED, "b": SUPPRESSED}}),
    ({"NL": {"a": 10, "b": 0, "c": 5}, "BE": {"a": 9, "b": 1, "c": 7}},
     {"NL": {"a": 10, "b": SUPPRESSED, "c": SUPPRESSED}, "BE": {"a": 9, "b": SUPPRESSED, "c": SUPPRESSED}}),
])
def test_complementary_suppression_leaves_no_hidden_cell_derivable(table, expected):
    protected = protect_table(table, RULES)
    assert protected == expected
    rows, columns = list(table), list(table["NL"])
    for line in [[(r, c) for c in columns] for r in rows] + [[(r, c) for r in rows] for c in columns]:
        assert sum(protected[r][c] == SUPPRESSED for r, c in line) != 1


def test_a_suppressed_value_reaches_neither_csv_nor_html():
    two_in_brazil = [scored_event(blank_report(production_countries=["IN", "BR"], materials=["slate"]),
                                  company(country="BE")) for _ in range(2)]
    others = [scored_event(blank_report(production_countries=["IN"]), company(country="NL")) for _ in range(4)]
    shown = {**figures_of(*two_in_brazil, *others), "edition": EDITION}
    assert "BR" not in json.dumps(shown["production_countries"])
    assert SUPPRESSED in json.dumps(shown["outcomes_by_member_country"])
    csv = render.to_csv(shown)
    assert "1,materials,slate,suppressed" in csv.splitlines()
    assert "1,other_production_countries,,1" in csv.splitlines()
    assert "1,outcomes_by_member_country.BE,needs_more_time,suppressed" in csv.splitlines()
    assert "Brazil" not in csv
    page = render.html(shown, "en", [EDITION])
    row = page[page.index("<td>slate</td>"):][:120]
    assert "suppressed" in row and ">2<" not in row
    assert "Brazil" not in page and "And 1 more production countries" in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")


EDITION = {"number": 1, "released_at": "2021-01-01T00:00:00+00:00", "released_by": "schedule",
           "companies_changed": 6}


def test_the_report_says_which_edition_it_is_when_it_was_released_and_what_it_leaves_out():
    shown = {**figures_of(*(scored_event(blank_report(), company()) for _ in range(3))), "edition": EDITION}
    second = {**EDITION, "number": 2, "released_at": "2021-04-02T00:00:00+00:00", "released_by": "secretariat"}
    page = render.html(shown, "nl", [EDITION, second])
    assert "Editie 1, gepubliceerd op 1 januari 2021 (volgens het schema)" in page
    assert "pas verschijnt als de bijdragen van ten minste 3 ondernemingen veranderd zijn" in page
    assert '<a href="?edition=2&amp;lang=nl">editie 2 (2 april 2021)</a>' in page
    english = render.html({**shown, "edition": second}, "en", [EDITION, second])
    assert "Edition 2, released on 2 April 2021 (by the secretariat)" in english
    assert "edition 1 (1 January 2021)" in english and "edition 2 (" not in english


def test_an_editions_changes_are_listed_figure_by_figure():
    three = [scored_event(blank_report(), company()) for _ in range(3)]
    before = figures_of(*three)
    after = figures_of(*three, scored_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), company()))
    listed = {(each["figure"], each["item"]): (each["released"], each["live"]) for each in changes(before, after)}
    assert listed[("assessed_reports", "")] == (3, 4)
    assert listed[("outcomes", "compliant")] == (0, 1)
    assert ("participation.contracting_authorities", "end") not in listed  # what did not change is not listed
    assert all(released is None for released, _ in (listed[key] for key in listed)) is False
    assert {(each["figure"], each["item"]) for each in changes(None, before)} == \
        {(figure, item) for figure, item, _ in render.figure_rows(before)}


def test_scheduled_editions_and_the_next_one_due():
    dates = covenant.YearCalendar.of({"covenant_year": 1, "due_date": "2020-12-31",
                                      "catch_up_date": "2021-04-01"}).release_dates
    assert dates == [date(2021, 1, 1), date(2021, 4, 2)]
    assert next_edition_due(dates, None) == date(2021, 1, 1)
    assert next_edition_due(dates, date(2020, 12, 15)) == date(2021, 1, 1)  # released before: still due
    assert next_edition_due(dates, date(2021, 1, 5)) == date(2021, 4, 2)
    assert next_edition_due(dates, date(2021, 4, 2)) is None


def test_the_companies_that_changed_are_counted_once_whatever_they_contributed():
    assert companies_changed(["c1", "verification:c1", "case:K-2020-0001", "c2"]) == {"c1", "c2"}
    assert companies_needed(2, RULES) == 1 and companies_needed(7, RULES) == 0


def test_the_csv_for_people_reads_in_their_language_and_opens_in_a_dutch_spreadsheet():
    chains = [{"quarries": {"known": known, "total": 10}} for known in (1, 2, 2, 2)]  # 10, 20, 20, 20 %: 17.5 %
    companies = [scored_event(blank_report(materials=["slate"], supply_chain={
        **blank_report()["supply_chain"], **chain}), company(country="NL")) for chain in chains]
    shown = {**figures_of(*companies), "edition": EDITION}
    dutch = render.to_csv(shown, "nl").splitlines()
    assert dutch[0] == "Convenantjaar;Cijfer;Waarde"
    assert "1;Materialen · leisteen;4" in dutch and "1;Productielanden · India;4" in dutch
    assert "1;De keten · Gemiddeld bekend deel van de groeves;17,5" in dutch  # a decimal comma
    assert "1;Materialen · graniet;afgeschermd" in dutch
    assert not any("_" in line or "needs_more_time" in line for line in dutch)  # no code reaches a reader
    english = render.to_csv(shown, "en").splitlines()
    assert english[0] == "Covenant year,Figure,Value" and "1,Materials · slate,4" in english
    assert "1,The chain · Mean share of quarries known,17.5" in english
    assert render.to_csv(shown).splitlines()[0] == "covenant_year,figure,item,value"  # programs: the codes
