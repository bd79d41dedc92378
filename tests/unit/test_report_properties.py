"""The annual report's rules as properties (hypothesis): every report the contract allows is taken and
stored as sent, and every report that breaks a rule is refused (400 or 422) with nothing stored, however
the values are drawn. The body goes the way a request's does: JSON text, common.web.read_json with the
AnnualReport schema, then the submission use case with its real repository on the in-process engine."""
import copy
import json
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from common import covenant, errors, places, vocabulary
from common import text as text_rules
from common.schema import EARLIEST_EVIDENCE, MAX_COUNT
from common.web import read_json
from services.submission import usecases
from services.submission.dependencies import SubmissionStore
from services.submission.schemas import AnnualReport
from tests.support import COMPANY, FakeScoring, RecordingPublisher, SettableClock, in_memory

COUNTRIES = st.sampled_from(["IN", "CN", "VN", "PT", "IT", "TR", "BR", "NL", "BE", "DE", "NO", "ZA"])
TEXT = st.characters(exclude_categories=("Cs",))  # any character but a lone surrogate
LAST_DAY = covenant.year_end(covenant.LAST_YEAR)


def words(most, multiline=False):
    """Text a person may type (common.text): no control or bidirectional characters; line breaks and tabs
    only in a long text."""
    return st.text(TEXT, min_size=1, max_size=most).filter(
        lambda typed: text_rules.refusal(typed, multiline=multiline) is None)


def place_names():
    """A name as a company writes one: letters among any characters, nothing around it, not a formula,
    markup, a control character or the figures' suppression marker (common.places says what is a name)."""
    return words(200).filter(lambda text: places.cleaned(text) == text and places.refusal(text) is None)


def kept_as_written(region) -> bool:
    """A state nobody knows is stored as sent (one that names a subdivision is stored as its code)."""
    try:
        return region["state"] is None or places.resolve_state(region["country"], region["state"]) is None
    except places.PlaceError:
        return False


def terms(vocabulary_terms):
    return st.sampled_from(vocabulary_terms.codes)


def known_total():
    return st.integers(0, MAX_COUNT).flatmap(
        lambda total: st.integers(0, total).map(lambda known: {"known": known, "total": total}))


def booleans(*names):
    return st.fixed_dictionaries({name: st.booleans() for name in names})


VALID_REPORTS = st.fixed_dictionaries({
    "covenant_year": st.sampled_from([1, 2]),  # the years with a framework
    "chains": st.none() | st.integers(0, MAX_COUNT),
    "supply_chain": st.fixed_dictionaries({link: known_total() for link in (
        "direct_suppliers", "factories", "quarry_regions", "quarries")}),
    "production_countries": st.lists(COUNTRIES, unique=True, max_size=5),
    "quarry_regions": st.lists(st.fixed_dictionaries({
        "country": COUNTRIES, "region": place_names(), "state": st.none() | place_names()}).filter(kept_as_written),
        max_size=3, unique_by=lambda region: (region["country"], places.comparison_form(region["region"]))),
    "materials": st.lists(terms(vocabulary.MATERIALS), unique=True),
    "risks": st.lists(st.fixed_dictionaries({
        "theme": terms(vocabulary.RISK_THEMES), "country": COUNTRIES, "severity": terms(vocabulary.LEVELS),
        "likelihood": terms(vocabulary.LEVELS), "actual": st.booleans(), "source": terms(vocabulary.RISK_SOURCES)}),
        max_size=4),
    "risk_prioritisation": terms(vocabulary.PRIORITISATIONS),
    "policy": booleans("statement_adopted", "embedded_in_management", "shared_with_suppliers"),
    "mitigation": st.lists(st.fixed_dictionaries({
        "kind": terms(vocabulary.MITIGATION_KINDS), "country": COUNTRIES, "description": words(2000, multiline=True)}), max_size=3),
    "plan_of_approach": st.booleans(),
    "monitoring": booleans("systematic", "effectiveness_evaluated"),
    "communication": st.fixed_dictionaries({"public_report_url": st.none() | st.from_regex(
        r"https://[a-z]([a-z0-9-]{0,18}[a-z0-9])?\.(nl|be|com|org)(/[a-z0-9-]{0,20}){0,3}", fullmatch=True)}),
    "remediation": booleans("grievance_mechanism"),
    "evidence": st.lists(st.fixed_dictionaries({
        "kind": terms(vocabulary.EVIDENCE_KINDS), "title": words(300),
        "issued_on": st.dates(EARLIEST_EVIDENCE, LAST_DAY).map(date.isoformat)}), max_size=3),
})

# (path, a value that breaks the report's rules there)
BREAKS = st.sampled_from(["covenant_year", "chains", "supply_chain.factories.known", "supply_chain.quarries.total",
                          "production_countries", "materials", "policy.statement_adopted",
                          "communication.public_report_url", "evidence", "risk_prioritisation", "unknown"]).flatmap(
    lambda path: st.tuples(st.just(path), {
        "covenant_year": st.integers(max_value=0) | st.integers(min_value=covenant.LAST_YEAR + 1) | st.just("1"),
        "chains": st.integers(max_value=-1) | st.integers(min_value=MAX_COUNT + 1) | st.floats(allow_nan=False),
        "supply_chain.factories.known": st.integers(min_value=MAX_COUNT + 1) | st.booleans(),
        "supply_chain.quarries.total": st.integers(min_value=2 ** 63) | st.integers(max_value=-1),
        "production_countries": st.lists(st.sampled_from(["XX", "in", "IND", ""]), min_size=1),
        "materials": st.lists(st.sampled_from(["plastic", "Granite", ""]), min_size=1),
        "policy.statement_adopted": st.sampled_from(["yes", 1, None, "true"]),
        "communication.public_report_url": st.sampled_from([
            "http://steen.example.nl/verslag", "ftp://steen.nl/", "javascript:alert(1)", "steen.nl", ""]),
        "evidence": st.dates(max_value=date(2009, 12, 31)).map(
            lambda day: [{"kind": "other", "title": "Old", "issued_on": day.isoformat()}]) | st.just(
            [{"kind": "other", "title": "Far", "issued_on": "9999-12-31"}]),
        "risk_prioritisation": words(20).filter(lambda text: text not in vocabulary.PRIORITISATIONS.codes),
        "unknown": st.just("a field the contract does not have"),
    }[path]))


def body(report) -> Request:
    return Request(EnvironBuilder(method="POST", data=json.dumps(report),
                                  content_type="application/json").get_environ())


def taken(report, store):
    """The report the way a request takes it: validated, then stored (its version as accepted)."""
    clock = SettableClock("2021-01-10T10:00:00")
    company = usecases.register_member("company", COMPANY, store=store, publisher=RecordingPublisher("submission"),
                                       clock=clock)
    return usecases.submit_report(company["id"], read_json(body(report), AnnualReport()), store=store,
                                  publisher=RecordingPublisher("submission"), clock=clock, scoring=FakeScoring(),
                                  known_years=set())


# The same examples on every run (a failure is one to reproduce, not luck); raise max_examples to look further.
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                    derandomize=True)


@PROPERTY
@given(VALID_REPORTS)
def test_no_valid_report_is_rejected_and_each_is_stored_as_sent_and_previewed(report):
    store = in_memory(SubmissionStore)
    accepted = taken(report, store)
    assert accepted["version"] == 1
    assert [version["report"] for version in store.report_versions(accepted["id"])] == [report]
    previewed = usecases.preview_report(store.report(accepted["id"])["company_id"],
                                        read_json(body(report), AnnualReport()), store=store, scoring=FakeScoring())
    assert previewed["outcome"] in vocabulary.OUTCOMES.codes  # preview takes what submit takes


@PROPERTY
@given(VALID_REPORTS, BREAKS)
def test_no_invalid_report_is_stored(report, broken):
    path, value = broken
    report = copy.deepcopy(report)
    *parents, last = path.split(".")
    target = report
    for part in parents:
        target = target[part]
    target[last] = value
    store = in_memory(SubmissionStore)
    try:
        taken(report, store)
    except (errors.Invalid, errors.Malformed) as refused:
        assert not isinstance(refused, errors.Invalid) or path.split(".")[0] in {
            field.split(".")[0] for field in refused.errors}
    else:
        raise AssertionError(f"{path} = {value!r} was taken")
    assert store.report_list() == []
