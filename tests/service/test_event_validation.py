"""Every consumer takes an event only when its data is valid by its schema (common.events.receive): for each
event type each consumer service handles, the event with each required field missing, and with each
required field of the wrong type, is parked (`invalid_event`) and leaves every store of the service as it
was (one service in a nameko container on the real RabbitMQ, its event handlers only)."""
import copy
import json

import pytest
from marshmallow import fields
from nameko.testing.services import restrict_entrypoints
from nameko.testing.utils import get_extension

from common import messaging
from common.events import CURRENT_VERSION, SCHEMAS, new_event
from common.metrics import Metrics
from common.mongo import Storage
from common.schema import StrictBoolean, StrictInteger
from tests.support import company, event_examples, wait_until

WHO = company(company_id="c-validated")


def wrong_type(field: fields.Field, value):
    """A value of another JSON type than `field` takes."""
    if isinstance(field, fields.Nested):
        return [] if not field.many else {"not": "a list"}
    if isinstance(field, (fields.List, fields.Tuple)):
        return {"not": "a list"}
    if isinstance(field, fields.Dict):
        return ["not", "an object"]
    if isinstance(field, (StrictInteger, fields.Integer)):
        return str(value)
    if isinstance(field, (StrictBoolean, fields.Boolean)):
        return "yes"
    if isinstance(field, fields.Number):
        return "1.5"
    if isinstance(field, (fields.Date, fields.DateTime)):
        return "the day after tomorrow"
    return 12345  # a string field


def broken(schema, data: dict, path=()):
    """(path, data) for each required field of `schema` (nested ones included, in lists their first item)
    missing, then of the wrong type."""
    for name, field in schema.fields.items():
        if not field.required or name not in data:
            continue
        here = (*path, name)
        yield here + ("missing",), _without(data, name)
        yield here + ("mistyped",), {**data, name: wrong_type(field, data[name])}
        value = data[name]
        nested = field.inner if isinstance(field, fields.List) else field
        if isinstance(nested, fields.Nested) and value:
            items = value if (nested.many or isinstance(field, fields.List)) else None
            inner = items[0] if items is not None else value
            for inner_path, changed in broken(nested.schema, inner, here):
                yield inner_path, {**data, name: [changed, *items[1:]] if items is not None else changed}


def _without(data: dict, name: str) -> dict:
    return {key: value for key, value in data.items() if key != name}


def consumed(service_cls) -> dict[str, list[str]]:
    """event type -> the handlers of `service_cls` that take it."""
    found: dict[str, list[str]] = {}
    for attribute in dir(service_cls):
        for entrypoint in getattr(getattr(service_cls, attribute, None), "nameko_entrypoints", ()):
            if isinstance(entrypoint, messaging.EnvelopeHandler):
                found.setdefault(entrypoint.event_type, []).append(attribute)
    return found


def snapshot(container) -> dict:
    db = get_extension(container, Storage).repository.db
    return {name: sorted((json.dumps(each, sort_keys=True, default=str) for each in db[name].find({})))
            for name in sorted(db.list_collection_names())}


def parked(container, reason=None) -> float:
    registry = get_extension(container, Metrics).registry
    return sum(sample.value for family in registry.collect() for sample in family.samples
               if sample.name == "trustone_events_parked_total" and reason in (None, sample.labels["reason"]))


def handled(container, entrypoint: str) -> float:
    registry = get_extension(container, Metrics).registry
    return registry.get_sample_value("trustone_entrypoint_calls_total",
                                     {"entrypoint": entrypoint, "outcome": "ok"}) or 0


@pytest.mark.parametrize("service", ["scoring", "notification", "reporting", "complaints"])
def test_an_event_with_a_required_field_missing_or_mistyped_is_parked_and_changes_no_store(
        container_factory, service_config, publish, service):
    module = __import__(f"services.{service}.service", fromlist=["SERVICE"])
    types = consumed(module.SERVICE)
    container = container_factory(module.SERVICE, service_config)
    restrict_entrypoints(container, *{name for names in types.values() for name in names})
    container.start()
    examples = event_examples(WHO)
    sources = {"report_scored": "scoring", "report_verified": "scoring", "verification_sample_drawn": "scoring",
               "framework_corrected": "scoring", "unknown_region_reported": "reporting",
               "unknown_state_reported": "reporting", "case_received": "complaints", "case_moved": "complaints",
               "case_time_limit_approaching": "complaints"}
    # what the service holds before: each type handled once, valid
    for event_type in types:
        publish(sources.get(event_type, "submission"), event_type, examples[event_type])
    wait_until(lambda: all(handled(container, name) for names in types.values() for name in names),
               f"{service} to handle a valid event of each type", timeout=30)
    assert parked(container) == 0, "every valid example is taken"
    before = snapshot(container)
    assert any(before.values()), "something is stored, so that a change would show"

    sent = 0
    for event_type, handlers in types.items():
        schema = SCHEMAS[(event_type, CURRENT_VERSION[event_type])]()
        envelope = new_event(event_type, examples[event_type], producer=sources.get(event_type, "submission"),
                             correlation_id="validation").to_wire()
        for path, data in broken(schema, copy.deepcopy(examples[event_type])):
            publish(envelope["producer"], event_type, wire={**json.loads(json.dumps(envelope)), "data": data,
                                                           "id": f"{event_type}:{'.'.join(path)}"})
            sent += len(handlers)
    # the attack of issue 25: a real company's report_scored with an ordinal and an outcome only
    if "report_scored" in types:
        publish("scoring", "report_scored", wire={**new_event("report_scored", examples["report_scored"],
                                                              producer="scoring", correlation_id="attack").to_wire(),
                                                 "data": {"company": WHO, "covenant_year": 1, "ordinal": {"report_version": 99, "framework_version": 1, "correction": 0},
                                                          "assessment": {"outcome": "compliant"}}})
        sent += len(types["report_scored"])
    wait_until(lambda: parked(container, "invalid_event") == sent,
               f"all {sent} broken events to be parked by {service}", timeout=90)
    assert parked(container) == sent, "each parked once, as invalid, none retried"
    assert snapshot(container) == before, "no store changed"
    print(f"\n{service}: {sent} broken events parked, no store changed")
