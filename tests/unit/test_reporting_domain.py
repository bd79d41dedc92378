"""Sector figures from contributions, and disclosure control, without a broker."""
import json

import pytest

from services.reporting import render
from services.reporting.dependencies import seed_regions
from services.reporting.domain import (SUPPRESSED, Disclosure, Gazetteer, Region, contribution, difference, figures,
                                       key, listed_regions, protect_table, shown_places, split, summed)
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


def test_a_compliant_and_a_late_company_make_the_figures():
    compliant = scored_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), company())
    late = scored_event(blank_report(), company())
    shown = figures_of(compliant, late)
    assert shown["assessed_reports"] == 2
    assert shown["outcomes"] == {"compliant": 1, "needs_more_time": 1}
    assert shown["bands"]["all"] == {"<20": 1, "20-40": 1, "40-60": 0, ">=60": 0}
    assert shown["bands"]["compliant"] == {"<20": 0, "20-40": 1, "40-60": 0, ">=60": 0}
    assert shown["requirements"]["plan_of_approach"] == {"met": 1, "applicable": 2}
    assert shown["steps"]["policy_and_chain_mapping_complete"] == 1


def test_replacing_a_contribution_adds_only_the_difference():
    who = company()
    old = scored_event(blank_report(), who)
    new = scored_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), who, version=2)
    before = contribution(old["report"], old["assessment"], who, old["progress"], GAZETTEER)
    after = contribution(new["report"], new["assessment"], who, new["progress"], GAZETTEER)
    assert summed([before, difference(after, before)]) == after
    assert difference(after, after) == {}


def test_means_and_attribute_cells_on_fewer_than_3_companies_are_suppressed():
    two = [scored_event(blank_report(production_countries=["IN", "BR"], materials=["granite"]), company())
           for _ in range(2)]
    shown = figures_of(*two)
    assert shown["supply_chain"] == {"mean_quarries_known_percent": SUPPRESSED,
                                     "mean_factories_known_percent": SUPPRESSED}
    assert [each["companies"] for each in shown["production_countries"]] == [SUPPRESSED, SUPPRESSED]
    assert shown["materials"]["granite"] == SUPPRESSED and shown["materials"]["slate"] == 0
    third = scored_event(blank_report(production_countries=["IN"], materials=["granite"]), company())
    shown = figures_of(*two, third)
    assert {each["country"]: each["companies"] for each in shown["production_countries"]} == {"IN": 3, "BR": SUPPRESSED}
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
    # zeros are shown, unless hiding a zero is the only way to protect a cell
    ({"NL": {"a": 10, "b": 0}, "BE": {"a": 9, "b": 0}}, {"NL": {"a": 10, "b": 0}, "BE": {"a": 9, "b": 0}}),
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
    two_in_brazil = [scored_event(blank_report(production_countries=["IN", "BR"]), company(country="BE"))
                     for _ in range(2)]
    others = [scored_event(blank_report(production_countries=["IN"]), company(country="NL")) for _ in range(4)]
    shown = figures_of(*two_in_brazil, *others)
    brazil = next(each for each in shown["production_countries"] if each["country"] == "BR")
    assert brazil["companies"] == SUPPRESSED
    assert SUPPRESSED in json.dumps(shown["outcomes_by_member_country"])
    csv = render.to_csv(shown)
    assert "1,production_countries,BR Brazil,suppressed" in csv.splitlines()
    assert "1,outcomes_by_member_country.BE,needs_more_time,suppressed" in csv.splitlines()
    page = render.html(shown, "en")
    row = page[page.index("<td>Brazil</td>"):][:120]
    assert "suppressed" in row and ">2<" not in row
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
