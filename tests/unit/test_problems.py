"""Every refusal with a stable code and its parameters beside its message: marshmallow's own, the schemas'
rules and the services' refusals; in a 422 beside the messages clients have always read, and across RPC."""
import json

import pytest
from marshmallow import Schema, fields as marshmallow_fields
from nameko.exceptions import deserialize, serialize

from common import errors, problems, schema
from common.web import error_response, load
from services.complaints.schemas import Filing
from services.notification.schemas import SupplierQuestion
from services.submission.schemas import AnnualReport, CompanyRegistration
from tests.support import blank_report

import common.rpc  # noqa: F401 - registers the domain errors that cross RPC as themselves


def problems_of(schema_cls, data) -> dict[str, list[dict]]:
    with pytest.raises(errors.Invalid) as refused:
        load(schema_cls, data)
    return {path: [each.as_dict() for each in listed] for path, listed in refused.value.problems.items()}


def test_a_report_s_field_errors_each_carry_a_code_and_what_words_it():
    report = blank_report(chains=-1, production_countries=["IN", "IN", "XX"], materials=["plastic"],
                          plan_of_approach="yes", risk_prioritisation=None, unknown=1)
    report["supply_chain"]["factories"] = {"known": 11, "total": 10}
    report["evidence"] = [{"kind": "other", "title": "", "issued_on": "2020-02-31"}]
    del report["policy"]
    found = problems_of(AnnualReport, report)
    assert found == {
        "chains": [{"code": "range", "min": 0, "max": 1_000_000, "message": "Must be between 0 and 1000000."}],
        "production_countries.2": [{"code": "country", "value": "XX",
                                    "message": "Not an ISO 3166-1 alpha-2 country code: 'XX'."}],
        "materials.0": [{"code": "one_of", "choices": ["basalt", "granite", "limestone", "slate", "marble",
                                                       "sandstone"],
                         "message": "Must be one of: basalt, granite, limestone, slate, marble, sandstone."}],
        "plan_of_approach": [{"code": "type", "expected": "boolean", "message": "Must be true or false."}],
        "risk_prioritisation": [{"code": "null", "message": "Field may not be null."}],
        "unknown": [{"code": "unknown_field", "message": "Unknown field."}],
        "supply_chain.factories.known": [{"code": "exceeds_total", "message": "Must not exceed total."}],
        "evidence.0.title": [{"code": "min_length", "min": 1, "max": 300,
                              "message": "Length must be between 1 and 300."}],
        "evidence.0.issued_on": [{"code": "type", "expected": "date", "message": "Not a valid date."}],
        "policy": [{"code": "required", "message": "Missing data for required field."}],
    }
    duplicates = problems_of(AnnualReport, blank_report(production_countries=["IN", "IN"]))
    assert duplicates["production_countries"] == [{"code": "duplicate", "what": "country", "value": "IN",
                                                   "message": "Duplicate country: IN."}]


def test_text_names_and_addresses_are_refused_with_their_codes():
    found = problems_of(CompanyRegistration, {"name": "A" * 201, "country": "NL", "role": "importer",
                                              "imports_directly": True, "joined_on": "2019-10-01",
                                              "language": "nl", "email": "not an address"})
    assert [each["code"] for each in found["name"]] == ["max_length"] and found["name"][0]["max"] == 200
    assert found["email"] == [{"code": "email", "message": "Not a valid email address."}]
    bidi = problems_of(Filing, {"kind": "complaint", "party": "X\u202e", "what_happened": "a\u0007",
                                "language": "nl"})
    assert bidi["party"][0]["code"] == "bidi_controls"
    assert bidi["what_happened"][0] == {"code": "control_characters", "line_breaks": True, "message":
                                        "Must not contain control characters other than line breaks and tabs."}
    assert problems_of(SupplierQuestion, {})["company_id"][0]["code"] == "company_or_name"
    assert problems_of(AnnualReport, [])["body"][0] == {"code": "type", "expected": "object",
                                                        "message": "Expected a JSON object."}


def test_every_message_marshmallow_can_give_carries_a_code():
    for each in vars(marshmallow_fields).values():
        if isinstance(each, type) and issubclass(each, marshmallow_fields.Field):
            for key, message in vars(each).get("default_error_messages", {}).items():
                assert isinstance(message, problems.Problem), (each.__name__, key)
    assert all(isinstance(message, problems.Problem) for message in Schema().error_messages.values())


def _api_schemas():
    from services.complaints import schemas as complaints
    from services.notification import schemas as notification
    from services.reporting import schemas as reporting
    from services.scoring import schemas as scoring
    from services.submission import schemas as submission
    for module in (schema, submission, scoring, notification, reporting, complaints):
        for each in vars(module).values():
            if isinstance(each, type) and issubclass(each, Schema) and each.__module__ == module.__name__:
                yield each


def _fields(of: Schema):
    for field in of.fields.values():
        yield field
        inner = getattr(field, "inner", None) or getattr(field, "value_field", None)
        if inner is not None:
            yield inner
        if isinstance(field, marshmallow_fields.Nested) and isinstance(field.schema, Schema):
            yield from _fields(field.schema)
        if isinstance(inner, marshmallow_fields.Nested) and isinstance(inner.schema, Schema):
            yield from _fields(inner.schema)


@pytest.mark.parametrize("schema_cls", list(_api_schemas()), ids=lambda each: f"{each.__module__}.{each.__name__}")
def test_every_field_of_every_schema_the_services_read_refuses_with_a_code(schema_cls):
    """Its messages and its validators: marshmallow's own validators give no code (common.validate's do)."""
    from common import validate
    for field in _fields(schema_cls()):
        for key, message in field.error_messages.items():
            assert isinstance(message, problems.Problem), (schema_cls.__name__, field.name, key)
        for validator in field.validators:  # a field's own (an e-mail address, a URL) refuses with its message
            assert isinstance(validator, (validate.Length, validate.Range, validate.OneOf, validate.Email,
                                          validate.URL, validate.Regexp)) \
                or isinstance(getattr(validator, "error", None), problems.Problem) \
                or not type(validator).__module__.startswith("marshmallow"), (schema_cls.__name__, field.name)


def test_a_422_says_each_field_s_messages_as_always_and_its_problems_beside_them():
    refused = errors.Invalid({"name": [problems.MAX_LENGTH(max=200)], "email": [problems.EMAIL()]})
    answer = error_response(refused)
    assert answer.status_code == 422
    assert json.loads(answer.get_data()) == {
        "errors": {"name": ["Longer than maximum length 200."], "email": ["Not a valid email address."]},
        "problems": {"name": [{"code": "max_length", "max": 200, "message": "Longer than maximum length 200."}],
                     "email": [{"code": "email", "message": "Not a valid email address."}]}}


def test_another_refusal_says_its_problem_beside_its_code_and_message():
    answer = json.loads(error_response(errors.Forbidden(problems.CHAIR_ONLY())).get_data())
    assert answer == {"error": {"code": "FORBIDDEN", "message": "Only the commission's chair may do this.",
                                "problem": {"code": "chair_only", "message": "Only the commission's chair may do this."}}}
    assert json.loads(error_response(errors.NotFound()).get_data()) == {"error": {
        "code": "NOT_FOUND", "message": "Nothing here, or nothing the caller may see."}}


@pytest.mark.parametrize("refused", [
    errors.Invalid({"state": [problems.STATE_OF_ANOTHER_COUNTRY(state="IN-RJ", state_country="IN", country="PK")]}),
    errors.Forbidden(problems.ROLE_NEEDED(roles=["secretariat"])),
    errors.NotFound(problems.NO_FRAMEWORK(covenant_year=9, known=[1, 2])),
    errors.TooMany(problems.TOO_MANY_CASES(hours=3), retry_after=7200),
])
def test_a_refusal_crosses_rpc_whole(refused):
    crossed = deserialize(json.loads(json.dumps(serialize(refused))))
    assert type(crossed) is type(refused) and crossed.message == refused.message
    if isinstance(refused, errors.Invalid):
        assert {path: [each.as_dict() for each in listed] for path, listed in crossed.problems.items()} == \
            {path: [each.as_dict() for each in listed] for path, listed in refused.problems.items()}
    else:
        assert crossed.problem.as_dict() == refused.problem.as_dict()
    assert getattr(crossed, "retry_after", None) == getattr(refused, "retry_after", None)


def test_a_domain_error_said_on_a_field_keeps_its_code():
    with pytest.raises(errors.Invalid) as refused:
        with errors.field_error("covenant_year", errors.NotFound):
            raise errors.NotFound(problems.NO_FRAMEWORK(covenant_year=9, known=[1, 2]))
    assert refused.value.problems["covenant_year"][0].as_dict() == {
        "code": "no_framework", "covenant_year": 9, "known": [1, 2],
        "message": "No assessment framework for covenant year 9 (frameworks exist for year 1, 2)."}


def test_a_message_without_a_code_is_code_invalid_and_a_problem_survives_a_copy():
    import copy
    assert problems.Problem.of("Something.").as_dict() == {"code": "invalid", "message": "Something."}
    kept = copy.deepcopy(problems.RANGE(min=1, max=5))
    assert kept.as_dict() == {"code": "range", "min": 1, "max": 5, "message": "Must be between 1 and 5."}


@pytest.mark.parametrize("joined_on,taken", [("2019-06-12", True), ("2016-01-01", True), ("2019-09-30", True),
                                             ("2015-12-31", False), ("0201-06-12", False), ("2001-06-12", False)])
def test_a_founding_member_registers_with_the_date_it_signed_and_a_typo_is_still_refused(joined_on, taken):
    from services.submission.schemas import AuthorityRegistration
    company = {"name": "Oude Steen B.V.", "country": "NL", "role": "importer", "imports_directly": True,
               "joined_on": joined_on, "language": "nl", "email": "dd@oudesteen.example"}
    authority = {"name": "Gemeente Gent", "country": "BE", "joined_on": joined_on}
    for schema_cls, registration in ((CompanyRegistration, company), (AuthorityRegistration, authority)):
        if taken:
            assert load(schema_cls, registration)["joined_on"].isoformat() == joined_on
        else:
            assert problems_of(schema_cls, registration)["joined_on"] == [{
                "code": "range", "min": "2016-01-01", "max": "2069-09-30",
                "message": "Must be between 2016-01-01 and 2069-09-30."}]
