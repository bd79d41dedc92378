"""Sector figures from contributions, without a broker."""
from services.reporting.domain import contribution, difference, figures, key, split
from services.scoring.dependencies import SHIPPED_FRAMEWORKS
from services.scoring.domain import assess, load_frameworks
from tests.builders import blank_report, company, with_steps_1_and_21

FRAMEWORK = load_frameworks(SHIPPED_FRAMEWORKS)[1]


def summed(*contributions):
    total = {}
    for each in contributions:
        for name, value in each.items():
            total[name] = total.get(name, 0) + value
    return total


def test_counter_keys_are_safe_mongodb_field_names_and_read_back():
    name = key("region", "IN", "St. Mary's $pit")
    assert "." not in name and not name.startswith("$")
    assert split(name) == ["region", "IN", "St. Mary's $pit"]


def test_a_compliant_and_a_late_company_make_the_figures():
    compliant_report = with_steps_1_and_21(blank_report(plan_of_approach=True))
    late_report = blank_report()
    compliant = contribution(compliant_report, assess(compliant_report, company(), FRAMEWORK))
    late = contribution(late_report, assess(late_report, company(), FRAMEWORK))
    shown = figures(1, summed(compliant, late))
    assert shown["assessed_reports"] == 2
    assert shown["outcomes"] == {"compliant": 1, "needs_more_time": 1}
    assert shown["bands"]["all"] == {"<20": 1, "20-40": 1, "40-60": 0, ">=60": 0}
    assert shown["bands"]["compliant"] == {"<20": 0, "20-40": 1, "40-60": 0, ">=60": 0}
    assert shown["requirements"]["plan_of_approach"] == {"met": 1, "applicable": 2}


def test_replacing_a_contribution_adds_only_the_difference():
    first = blank_report()
    better = with_steps_1_and_21(blank_report(plan_of_approach=True))
    old = contribution(first, assess(first, company(), FRAMEWORK))
    new = contribution(better, assess(better, company(), FRAMEWORK))
    sums = summed(old, difference(new, old))
    assert {name: value for name, value in sums.items() if value} == new
    assert difference(new, new) == {}
