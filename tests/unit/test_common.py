"""The shared pieces: event envelopes, error paths, configuration."""
import os
import subprocess
import sys

import pytest
from marshmallow import ValidationError

from common import config as configuration
from common import covenant
from common.errors import flatten
from common.events import InvalidEvent, new_event, parse
from tests.builders import company


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


def test_configuration_comes_from_the_environment_with_embedded_defaults():
    script = "from common import config; import json; c = config.load(); " \
             "print(json.dumps([c['AMQP_URI'], c['MONGO_URI'], c['HTTP_PORTS'], c['HTTP_HOST']]))"
    env = {key: value for key, value in os.environ.items()
           if key not in ("AMQP_URI", "MONGO_URI", "SUBMISSION_PORT", "HTTP_HOST")}
    defaults = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                              check=True).stdout
    assert defaults.strip() == '["memory://localhost/", "mongomock://localhost/trustone", ' \
        '{"submission": 8000, "scoring": 8001, "notification": 8002, "reporting": 8003}, "127.0.0.1"]'
    env.update(AMQP_URI="amqp://u:p@rabbit:5672/", MONGO_URI="mongodb://mongo:27017/trustone",
               SUBMISSION_PORT="9000", HTTP_HOST="0.0.0.0")
    overridden = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                                check=True).stdout
    assert overridden.strip() == '["amqp://u:p@rabbit:5672/", "mongodb://mongo:27017/trustone", ' \
        '{"submission": 9000, "scoring": 8001, "notification": 8002, "reporting": 8003}, "0.0.0.0"]'


def test_embedded_defaults_are_recognised():
    config = {"AMQP_URI": "memory://localhost/", "MONGO_URI": "mongomock://localhost/x"}
    assert configuration.is_embedded_broker(config) and configuration.is_embedded_mongo(config)
    real = {"AMQP_URI": "amqp://guest:guest@localhost/", "MONGO_URI": "mongodb://localhost/x"}
    assert not configuration.is_embedded_broker(real) and not configuration.is_embedded_mongo(real)


@pytest.mark.parametrize("year,start,end,third_quarter", [
    (1, "2019-10-01", "2020-09-30", "2020-06-30"), (2, "2020-10-01", "2021-09-30", "2021-06-30")])
def test_covenant_years_run_from_october_to_september(year, start, end, third_quarter):
    assert (str(covenant.year_start(year)), str(covenant.year_end(year)),
            str(covenant.third_quarter_end(year))) == (start, end, third_quarter)
