"""The shared pieces: event envelopes, error paths, configuration."""
import functools
import os
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError, fields

from common import covenant, errors, events, network
from common.settings import Settings, load_config
from common.errors import flatten
from common.events import InvalidEvent, new_event, parse
from common.schema import shared
from tests.support import company


def company_registered():
    return new_event("company_registered", {"company": company()}, producer="submission",
                     correlation_id="corr-1")


def test_an_event_travels_as_an_envelope_and_parses_back():
    event = company_registered()
    wire = event.to_wire()
    assert set(wire) == {"id", "type", "schema_version", "occurred_at", "correlation_id", "producer", "data"}
    assert (wire["type"], wire["schema_version"], wire["producer"]) == ("company_registered", 1, "submission")
    assert parse(wire) == event


def test_producers_validate_event_data_strictly():
    with pytest.raises(ValidationError) as refused:
        new_event("company_registered", {"company": {**company(), "country": "DE", "colour": "red"}},
                  producer="submission", correlation_id="c")
    assert refused.value.messages == {"company": {"country": ["Must be one of: NL, BE."],
                                                  "colour": ["Unknown field."]}}


def test_consumers_ignore_unknown_envelope_fields_but_refuse_what_is_no_envelope():
    wire = {**company_registered().to_wire(), "added_later": True}
    assert parse(wire).type == "company_registered"
    for body in ("text", {"id": "x"}, {**wire, "schema_version": 99}, {**wire, "type": "report_lost"}):
        with pytest.raises(InvalidEvent):
            parse(body)


def test_validation_messages_are_flattened_to_dotted_field_paths():
    messages = {"supply_chain": {"factories": {"known": ["Must not exceed total."]}},
                "risks": {1: {"theme": ["Must be one of: x."]}},
                "evidence": {"_schema": ["Invalid input type."]},
                "_schema": ["Broken."]}
    assert flatten(messages) == {
        "supply_chain.factories.known": ["Must not exceed total."],
        "risks.1.theme": ["Must be one of: x."],
        "evidence": ["Invalid input type."],
        "body": ["Broken."],
    }


def test_the_secretariats_token_is_long_enough_or_no_service_starts(monkeypatch, capsys):
    from common import settings as configuration
    from launcher import cli
    fault = configuration.secretariat_token_fault
    assert fault("s" * 32, {}) is None and fault("s" * 31, {}).startswith(
        "setting SECRETARIAT_TOKEN must be at least 32 characters, not 31")
    assert fault("", {}) is not None and fault(None, {}) is not None
    assert "only by `trustone run`" in fault("secretariat-demo-token", {}), "the demo default: refused, and said why"
    embedded = {configuration.EMBEDDED_DEMO: True}
    assert fault("secretariat-demo-token", embedded) is None, "the embedded launcher's demo (it warns of it)"
    assert fault("short", embedded) is not None, "only the demo default, not any short token"

    class Container:  # what a service's identity provider checks when it is set up
        service_name = "scoring"
        config = {**load_config(), "SECRETARIAT_TOKEN": "secretariat-demo-token"}
    with pytest.raises(ValueError, match="SECRETARIAT_TOKEN must be at least 32"):
        configuration.check_secretariat_token(Container())
    # `trustone run` with a broker of its own (no in-memory demo): refused before anything starts
    monkeypatch.setenv("AMQP_URI", "amqp://guest:guest@127.0.0.1:1/")
    monkeypatch.delenv("SECRETARIAT_TOKEN", raising=False)
    assert cli.run(SimpleNamespace(config=str(configuration.CONFIG_FILE), services=["scoring"], demo=False)) == 2
    assert "SECRETARIAT_TOKEN must be at least 32 characters" in capsys.readouterr().err
    monkeypatch.setenv("SECRETARIAT_TOKEN", "a" * 31)
    assert cli.run(SimpleNamespace(config=str(configuration.CONFIG_FILE), services=["portal", "scoring"], demo=False)) == 2
    assert "SECRETARIAT_TOKEN must be at least 32 characters, not 31" in capsys.readouterr().err


def test_settings_are_typed_from_the_one_configuration_file():
    settings = Settings.from_config(load_config())
    assert settings.embedded_broker and settings.embedded_mongo
    assert (settings.smtp_port, settings.delivery_backoff_seconds, settings.min_companies_per_cell) == (25, 5.0, 3)
    assert settings.smtp_host is None and settings.frameworks_dir is None and settings.clock == ""
    real = Settings.from_config({**load_config(), "AMQP_URI": "amqp://guest:guest@localhost/",
                                 "MONGO_URI": "mongodb://localhost/x", "CLOCK": "fixed:2020-12-15T09:00:00"})
    assert not real.embedded_broker and not real.embedded_mongo
    assert real.clock == "fixed:2020-12-15T09:00:00"
    assert settings.webhook_trusted_hosts == frozenset()  # by default no webhook may go inward or in the clear
    trusting = Settings.from_config({**load_config(), "WEBHOOK_TRUSTED_HOSTS": " 127.0.0.1, [::1] ,Hooks.Local"})
    assert trusting.webhook_trusted_hosts == {"127.0.0.1", "::1", "hooks.local"}
    assert settings.queue_type == real.queue_type == "classic"  # the default
    quorum = {**load_config(), "QUEUE_TYPE": "quorum"}
    assert Settings.from_config({**quorum, "AMQP_URI": "amqp://guest:guest@localhost/"}).queue_type == "quorum"
    assert Settings.from_config(quorum).queue_type == "classic", "the in-memory broker has classic queues only"


def test_a_broken_setting_is_named():
    with pytest.raises(ValueError, match="DELIVERY_ATTEMPTS must be a number"):
        Settings.from_config({**load_config(), "DELIVERY_ATTEMPTS": "often"})
    with pytest.raises(ValueError, match="SECRETARIAT_LANGUAGE must be one of"):
        Settings.from_config({**load_config(), "SECRETARIAT_LANGUAGE": "fr"})
    with pytest.raises(ValueError, match="TRUSTED_PROXIES must list networks"):
        Settings.from_config({**load_config(), "TRUSTED_PROXIES": "the portal"})
    with pytest.raises(ValueError, match="QUEUE_TYPE must be one of classic, quorum"):
        Settings.from_config({**load_config(), "QUEUE_TYPE": "mirrored"})
    config = load_config()
    config.pop("OUTBOX_GRACE_SECONDS")
    with pytest.raises(ValueError, match="OUTBOX_GRACE_SECONDS is missing"):
        Settings.from_config(config)


# Every secret a service may hold, and the services that read it.
SECRETS = {"SECRETARIAT_TOKEN": ("submission", "scoring", "notification", "reporting", "complaints"),
           "PORTAL_SECRET_KEY": ("portal",), "COMPLAINTS_SECRET_KEY": ("complaints",),
           "PORTAL_SERVICE_KEY": ("portal", "complaints"), "SMTP_HOST": ("notification",),
           "METRICS_TOKEN": ("submission", "scoring", "notification", "reporting", "complaints", "portal")}


@pytest.mark.parametrize("service", ["submission", "scoring", "notification", "reporting", "complaints", "portal"])
def test_a_service_is_never_handed_another_s_secret(service):
    from common import settings as configuration
    configured = {**load_config(), **{name: f"the {name.lower()}" for name in SECRETS}}
    own = Settings.from_config(configured, service)
    for name, readers in SECRETS.items():
        value = getattr(own, name.lower())
        assert (value == f"the {name.lower()}") == (service in readers), (service, name, value)
    assert own.min_companies_per_cell is None or service == "reporting", "only what it uses"
    assert Settings.from_config(configured).portal_secret_key == "the portal_secret_key", "the launcher: all"

    class Container:  # what `settings.of` reads of a nameko container
        config, service_name = configured, service
    assert configuration.of(Container()) == own


def test_readme_says_which_service_reads_each_setting_as_the_code_does():
    import re
    from pathlib import Path
    from common import settings as configuration
    root = Path(__file__).resolve().parents[2]
    setting_of = {}  # environment variable -> setting of deploy/config.yaml
    setting = None
    for line in (root / "deploy" / "config.yaml").read_text().splitlines():
        top = re.match(r"^(\w+):", line)
        setting = top.group(1) if top else setting
        setting_of.update({variable: setting for variable in re.findall(r"\$\{(\w+):", line)})
    services = ("submission", "scoring", "notification", "reporting", "complaints", "attestation", "portal")
    said = {"every service": set(services), "the six API services (not the portal)": set(services) - {"portal"}}
    readme = (root / "README.md").read_text()
    table = readme[readme.index("| variable | read by |"):readme.index("## Production with docker compose")]
    checked = 0
    for row in table.splitlines()[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        if len(cells) < 4 or ";" in cells[1] or "(the port)" in cells[1]:
            continue  # COMPLAINTS_PORT and COMPLAINTS_URL: two settings in one row
        readers = said.get(cells[1], {each.strip() for each in cells[1].split(",")})
        for variable in re.findall(r"`(\w+)`", cells[0]):
            if variable == "LOG_LEVEL":
                continue  # nameko's logging, not a Settings field
            actual = {name for name in services if setting_of[variable] in configuration.read_by(name)}
            assert readers == actual, (variable, cells[1], sorted(actual))
            checked += 1
    assert checked > 30


PROXIES = network.networks("127.0.0.1/32, 172.28.0.0/16")


@pytest.mark.parametrize("connection,forwarded,address", [
    ("203.0.113.9", None, "203.0.113.9"),                       # straight from the client
    ("203.0.113.9", "6.6.6.6", "203.0.113.9"),                  # a client's own header is not believed
    ("172.28.0.5", "6.6.6.6, 203.0.113.9", "203.0.113.9"),      # behind a proxy: the address it saw
    ("127.0.0.1", "203.0.113.9, 172.28.0.5", "203.0.113.9"),    # behind a proxy and the portal
    ("127.0.0.1", None, "127.0.0.1")])                          # a local demo: every hop is ours
def test_a_client_is_known_by_the_nearest_address_that_is_not_one_of_our_proxies(connection, forwarded, address):
    assert network.client_address(connection, forwarded, PROXIES) == address


@pytest.mark.parametrize("year,start,end,third_quarter", [
    (1, "2019-10-01", "2020-09-30", "2020-06-30"), (2, "2020-10-01", "2021-09-30", "2021-06-30")])
def test_covenant_years_run_from_october_to_september(year, start, end, third_quarter):
    assert (str(covenant.year_start(year)), str(covenant.year_end(year)),
            str(covenant.third_quarter_end(year))) == (start, end, third_quarter)


def test_a_report_scored_event_of_version_1_reaches_consumers_in_the_current_shape():
    from common.events import upcast
    from tests.support import blank_report, scored_event, with_steps_1_and_21
    data = scored_event(with_steps_1_and_21(blank_report()), company())
    version_1 = {**{key: value for key, value in data.items() if key != "progress"}, "ordinal": list(data["ordinal"].values())[:2]}
    old = new_event("report_scored", version_1, producer="scoring", correlation_id="c", schema_version=1)
    current = upcast(parse(old.to_wire()))
    assert (current.id, current.schema_version) == (old.id, 5)
    assert current.data["progress"] == {"policy_and_chain_mapping": True} == data["progress"]
    assert current.data["ordinal"] == {"report_version": 1, "framework_version": 1, "correction": 0} == data["ordinal"]
    with pytest.raises(ValidationError):  # version 2 requires what version 1 lacked
        new_event("report_scored", version_1, producer="scoring", correlation_id="c")


def test_a_report_verified_event_of_version_1_reaches_handlers_with_a_named_sequence():
    from common.events import upcast
    version_1 = {"covenant_year": 1, "company_id": "c-1", "report_id": "r-1", "version": 1, "result": "corrected",
                 "verified_on": "2021-03-02", "ordinal": [1614679200000000]}
    old = new_event("report_verified", version_1, producer="scoring", correlation_id="c", schema_version=1)
    current = upcast(parse(old.to_wire()))
    assert current.schema_version == 2 and "ordinal" not in current.data
    assert current.payload.sequence == 1614679200000000 and current.payload.result == "corrected"
    with pytest.raises(ValidationError):  # version 2 orders by `sequence`, not a list of one
        new_event("report_verified", version_1, producer="scoring", correlation_id="c")


@pytest.mark.parametrize("event_type", sorted({kind for kind, _ in events.SCHEMAS}))
def test_every_event_s_payload_is_a_typed_object_with_its_schema_s_fields(event_type):
    from dataclasses import fields as dataclass_fields, is_dataclass
    from tests.support import event_examples
    data = event_examples(company())[event_type]  # every type has its example (the validation test sends it)
    payload = new_event(event_type, data, producer="test", correlation_id="c").payload
    schema = events.SCHEMAS[(event_type, events.CURRENT_VERSION[event_type])]()
    assert is_dataclass(payload) and [each.name for each in dataclass_fields(payload)] == list(schema.fields)
    for name, field in schema.fields.items():
        value = getattr(payload, name)
        if isinstance(field, fields.Nested) and value is not None and not field.many:
            assert is_dataclass(value), (event_type, name)
        if isinstance(field, fields.List) and value is not None:
            assert isinstance(value, tuple), (event_type, name)
    with pytest.raises(AttributeError):
        payload.anything_else  # noqa: B018 - a field no schema declares is no attribute
    assert events.data_of(payload) == data, "back to JSON exactly as sent, where a use case keeps it"


def test_a_payload_turns_back_into_its_data_as_sent_null_as_null_absent_as_absent_and_a_copy():
    data = {"number": "K-1", "kind": "complaint", "covenant_year": 1, "language": "en", "from_state": "received",
            "to_state": "acknowledged", "at": "2021-03-20T10:00:00+00:00", "company_id": None, "admissible": None,
            "company_asked": False, "deadline": None, "decision": {"outcome": "rejected"}}
    moved = events.typed("case_moved", data)
    assert moved.company_id is None and moved.decision.appeal is None and moved.decision.outcome == "rejected"
    kept = events.data_of(moved)
    assert kept == data and "appeal" not in events.data_of(moved.decision)
    kept["decision"]["outcome"] = "changed by a store"
    assert moved.decision.outcome == "rejected" and data["decision"]["outcome"] == "rejected"


def test_a_case_received_event_of_version_1_reaches_consumers_in_the_shape_of_version_2():
    from common.events import upcast
    version_1 = {"number": "K-2021-0001", "kind": "complaint", "language": "nl",
                 "filed_at": "2021-03-15T10:00:00+00:00", "covenant_year": 2, "company_id": None,
                 "contact_email": "worker@example.org", "deadline": "2021-03-22"}
    old = new_event("case_received", version_1, producer="complaints", correlation_id="c", schema_version=1)
    current = upcast(parse(old.to_wire()))
    assert current.schema_version == 2 and current.data["acknowledgement"] is True
    assert current.data["contact_email"] == "worker@example.org", "kept: complaints before v2 cannot be asked"
    without = upcast(parse(new_event("case_received", {**version_1, "contact_email": None}, producer="complaints",
                                     correlation_id="c", schema_version=1).to_wire()))
    assert without.data["acknowledgement"] is False
    with pytest.raises(ValidationError):  # version 2 carries no address
        new_event("case_received", version_1, producer="complaints", correlation_id="c")


def test_a_report_scored_event_of_version_3_names_only_the_result_of_the_assessment_it_replaces():
    from common.events import upcast
    from tests.support import blank_report, scored_event, with_steps_1_and_21
    replaced = scored_event(blank_report(), company())["assessment"]
    data = scored_event(with_steps_1_and_21(blank_report()), company(), version=2)
    positional = list(data["ordinal"].values())
    old = new_event("report_scored", {**data, "previous_assessment": replaced, "ordinal": positional},
                    producer="scoring", correlation_id="c", schema_version=3)
    current = upcast(parse(old.to_wire()))
    assert current.schema_version == 5
    assert current.data["previous_assessment"] == {
        "framework_version": 1, "points": replaced["points"], "maximum": replaced["maximum"],
        "score": replaced["score"], "band": replaced["band"], "outcome": "needs_more_time"}
    with pytest.raises(ValidationError):  # version 4 takes no criteria of the replaced assessment
        new_event("report_scored", {**data, "previous_assessment": replaced}, producer="scoring", correlation_id="c")


def test_a_report_scored_event_of_version_4_reaches_consumers_with_its_ordinal_named_and_no_metric():
    from common.events import Ordinal, ReportScoredV5, upcast
    from tests.support import blank_report, scored_event
    data = scored_event(blank_report(), company(), version=2, framework_version=3)
    version_4 = {**data, "ordinal": [2, 3, 1], "submission_occurred_at": "2026-01-05T10:00:00.250000+00:00"}
    old = new_event("report_scored", version_4, producer="scoring", correlation_id="c", schema_version=4)
    current = upcast(parse(old.to_wire()))
    assert current.schema_version == 5 and "submission_occurred_at" not in current.data
    assert current.data["ordinal"] == {"report_version": 2, "framework_version": 3, "correction": 1}
    assert Ordinal.of(current.data["ordinal"]) == Ordinal(2, 3, 1) == Ordinal.of([2, 3, 1]), "a stored list reads alike"
    assert Ordinal(2, 3, 1) < Ordinal(2, 4, 0) < Ordinal(3, 0, 0), "ordered as the assessments are"
    assert tuple(ReportScoredV5().fields["ordinal"].schema.fields) == tuple(vars(Ordinal(1, 0, 0))), \
        "the typed ordinal is the schema's, field by field"
    with pytest.raises(ValidationError):  # a metric's field is no part of version 5
        new_event("report_scored", {**data, "submission_occurred_at": "2026-01-05T10:00:00+00:00"},
                  producer="scoring", correlation_id="c")


def test_every_code_has_its_words_in_both_languages():
    from common import vocabulary
    from services.scoring.dependencies import SHIPPED_FRAMEWORKS
    from services.scoring.domain import EVALUATORS, load_frameworks
    assert set(EVALUATORS) == set(vocabulary.CRITERIA.codes), "every criterion scoring knows has its words"
    for framework in load_frameworks(SHIPPED_FRAMEWORKS).values():
        assert {each.step for each in framework.criteria} <= set(vocabulary.STEPS.codes)
    for name in dir(vocabulary):
        terms = getattr(vocabulary, name)
        if isinstance(terms, vocabulary.Terms):
            for term in terms:
                assert term.text and term.label("nl") != term.text or term.text in SAME_IN_DUTCH, \
                    f"{name}.{term.code} lacks its Dutch"


SAME_IN_DUTCH = {"basalt", "20-40 %", "40-60 %"}  # written alike in both languages


@pytest.mark.parametrize("text,fault", [
    ("[" * 10_000 + "]" * 10_000, "nested deeper than 16 levels"),
    ("[" * 17 + "]" * 17, "nested deeper than 16 levels"),
    ('{"a": ' * 17 + "1" + "}" * 17, "nested deeper than 16 levels"),
    ('{"title": "\\ud800"}', "lone UTF-16 surrogate"),
    ('{"\\udfff": 1}', "lone UTF-16 surrogate"),
    ('{"covenant_year": ', "not valid JSON"),
])
def test_hostile_json_is_malformed_not_a_crash(text, fault):
    from common.web import parse_json
    with pytest.raises(errors.Malformed, match=fault):
        parse_json(text, "The body")
    assert parse_json("[" * 16 + "]" * 16, "The body") is not None  # as deep as a body may be
    assert parse_json('{"naam": "Yên Định \\u00e9"}', "The body") == {"naam": "Yên Định é"}
    brackets = '{"text": "[[[[[[[[[[[[[[[[[[[[ \\" {{{{{{{{{{{{{{{{{{"}'
    assert parse_json(brackets, "The body") == {"text": '[[[[[[[[[[[[[[[[[[[[ " {{{{{{{{{{{{{{{{{{'}, \
        "brackets in a string are text, not nesting"


def test_a_deep_body_is_refused_before_the_parser_recurses(monkeypatch):
    from common import web
    monkeypatch.setattr(web.json, "loads", lambda raw: pytest.fail("parsed"))
    with pytest.raises(errors.Malformed, match="nested deeper than 16 levels"):
        web.parse_json(b"[" * 10_000 + b"]" * 10_000, "The body")


def test_an_rpc_reply_the_broker_cannot_take_is_given_up_without_killing_the_service(monkeypatch):
    from kombu.exceptions import OperationalError
    from nameko.rpc import Rpc

    from common.rpc import Entrypoint

    def broker_gone(self, message, worker_ctx, result, exc_info):
        raise OperationalError("[Errno 111] ECONNREFUSED")
    monkeypatch.setattr(Rpc, "handle_result", broker_gone)
    entrypoint = Entrypoint.__new__(Entrypoint)
    entrypoint.method_name = "assess"
    assert entrypoint.handle_result("message", None, {"score": 47.8}, None) == ({"score": 47.8}, None)


def test_a_client_that_asked_too_often_waits_until_the_ask_that_frees_a_place_leaves_the_window():
    from datetime import datetime, timedelta, timezone
    from common.network import wait_to_ask_again
    now = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    window = timedelta(minutes=15)
    failures = [now - timedelta(minutes=minutes) for minutes in (14, 10, 5, 1)]
    assert wait_to_ask_again(failures, now, 5, window) is None
    assert wait_to_ask_again([*failures, now], now, 5, window) == timedelta(minutes=1)
    assert wait_to_ask_again([*failures, now - timedelta(minutes=20)], now, 5, window) is None, "left the window"
    assert wait_to_ask_again(failures, now, 2, window) == timedelta(minutes=10), "the last two: 5 and 1 ago"
    assert wait_to_ask_again([], now, 0, window) == window, "nothing allowed"


# --- an event's data checked quickly, by the same rules as its marshmallow schema ------------------------

def _mutated(draw, value):
    """`value` with one thing changed somewhere inside it: a field removed, added, or given another value."""
    json_values = st.none() | st.booleans() | st.integers(-2 ** 1100, 2 ** 1100) | st.floats() | \
        st.text(max_size=12) | st.sampled_from(["2020-12-01", "2020-12-01T10:00:00+00:00", "2020-12-01T10:00:00",
                                                 "IN", "compliant", "needs_more_time", "chair", "nl", "x@y.nl"]) | \
        st.lists(st.integers(0, 2000), max_size=4) | st.just({}) | st.just([])
    if isinstance(value, dict) and value and draw(st.integers(0, 3)):
        key = draw(st.sampled_from(sorted(value)))
        action = draw(st.sampled_from(["deeper", "deeper", "remove", "replace", "add"]))
        if action == "deeper":
            return {**value, key: _mutated(draw, value[key])}
        if action == "remove":
            return {name: each for name, each in value.items() if name != key}
        if action == "add":
            return {**value, draw(st.text(min_size=1, max_size=8)): draw(json_values)}
        return {**value, key: draw(json_values)}
    if isinstance(value, list) and value and draw(st.booleans()):
        index = draw(st.integers(0, len(value) - 1))
        return [*value[:index], _mutated(draw, value[index]), *value[index + 1:]]
    return draw(json_values)


@functools.cache
def examples() -> dict:
    from tests.support import event_examples
    return event_examples(company(company_id="c-1"))


@st.composite
def event_data(draw):
    event_type = draw(st.sampled_from(sorted(examples())))
    data = examples()[event_type]
    for _ in range(draw(st.integers(0, 3))):
        data = _mutated(draw, data)
    return event_type, data


@settings(max_examples=int(os.environ.get("QUICK_CHECK_EXAMPLES", "400")), deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(event_data())
def test_the_quick_check_of_event_data_answers_as_its_marshmallow_schema_does(example):
    from common import events
    event_type, data = example
    version = events.CURRENT_VERSION[event_type]
    schema_cls = events.SCHEMAS[(event_type, version)]
    for quick, schema in ((events._consumed_check(schema_cls), events._consumed(schema_cls)),
                          (events._produced_check(schema_cls), shared(schema_cls))):
        assert quick is not None or event_type == "case_moved", f"{event_type} is checked quickly"
        if quick is None:
            continue
        try:
            schema.load(data)
            valid = True
        except ValidationError:
            valid = False
        assert quick(data) == valid, (event_type, data)


def test_every_report_of_the_year_1_demo_and_its_assessment_make_events_their_consumers_take():
    """The 26 reports of the demo (every kind of company: importers and processors, plans of approach
    applicable and not, regions known and not) as submission sends them and as scoring announces them."""
    from launcher import demo
    from services.submission.schemas import AnnualReport
    from tests.support import scored_event, submitted_event
    from common import events
    reports = [each.get("report", each) for each in demo.data()["reports"]]
    assert len(reports) == 26
    for number, report in enumerate(reports):
        sent = shared(AnnualReport).dump(shared(AnnualReport).load(report))
        who = company(imports_directly=number % 3 != 0, role="importer" if number % 2 else "processor")
        for event_type, data in (("report_submitted", submitted_event(sent, who)),
                                 ("report_scored", scored_event(sent, who))):
            event = new_event(event_type, data, producer="p", correlation_id="c")
            assert events.receive(event.to_wire()).data == data


def test_an_access_line_keeps_a_querys_names_never_its_values():
    """The supplier an authority looks up, the proof a QR code carries: not the access log's to keep."""
    from common.web import _AccessLog
    written = []
    log = _AccessLog(SimpleNamespace(info=lambda message, *args: written.append(message),
                                     error=lambda message, *args: written.append(message)))
    log.info('"GET /v1/suppliers?name=Kasteelsteen%20B.V.&page=2 HTTP/1.1" 200 88 0.004')
    log.write('"GET /attestations/check?attestation=eyJhbGc.eyJzdWIi.c2ln HTTP/1.1" 200 900 0.010\n')
    log.error('error on /v1/standings?company_id=c-7 client=198.51.100.10')
    assert written == ['"GET /v1/suppliers?name=-&page=- HTTP/1.1" 200 88 0.004',
                       '"GET /attestations/check?attestation=- HTTP/1.1" 200 900 0.010',
                       'error on /v1/standings?company_id=- client=-']
