"""End to end, messages a hostile or broken publisher may send: no header, property or body stops a
service. What a consumer cannot take is parked with its reason and counted, and every service goes on
consuming and answers /health (the first two are the attacks of issue 25, as they were found)."""
import json

import pytest
import requests

from common.events import new_event
from tests.support import Platform, publish_raw, wait_until

pytestmark = pytest.mark.e2e
COMPANY_REGISTERED_CONSUMERS = ("notification", "reporting", "complaints")


@pytest.fixture(scope="module")
def platform(vhost, processes):
    platform = Platform(vhost, processes, EVENT_ATTEMPTS="3", EVENT_RETRY_BACKOFF_SECONDS="0.2")
    for service in ("submission", "scoring", *COMPANY_REGISTERED_CONSUMERS):
        platform.start(service)
    return platform


def parked(platform, service: str) -> float:
    return platform.metric_total(service, "trustone_events_parked_total")


def alive_and_healthy(platform, services) -> bool:
    for service in services:
        if platform.processes.running[service].poll() is not None:
            raise AssertionError(f"{service} exited:\n{platform.processes.log(service)[-3000:]}")
    return all(requests.get(platform.url(service, "/health"), timeout=5).status_code == 200 for service in services)


def company_registered_wire() -> bytes:
    company = {"id": "c-hostile", "name": "Hostile B.V.", "country": "NL", "role": "importer",
               "imports_directly": True, "joined_on": "2019-10-01", "language": "nl", "email": "x@example.nl"}
    event = new_event("company_registered", {"company": company}, producer="submission", correlation_id="attack")
    return json.dumps(event.to_wire()).encode()


@pytest.mark.parametrize("body, headers", [
    pytest.param(b"{}", {"x-trustone-attempt": "x"}, id="an attempt count that is no number"),
    pytest.param(company_registered_wire(), {"nameko.call_id_stack": 5}, id="a call stack that is no list"),
])
def test_a_header_no_consumer_can_read_is_parked_and_stops_no_service(platform, body, headers):
    before = {service: parked(platform, service) for service in COMPANY_REGISTERED_CONSUMERS}
    publish_raw(platform.amqp_uri, "submission.events", "company_registered", body, headers)

    def each_parked_it():
        return alive_and_healthy(platform, COMPANY_REGISTERED_CONSUMERS) and all(
            parked(platform, service) == before[service] + 1 for service in COMPANY_REGISTERED_CONSUMERS)
    wait_until(each_parked_it, "notification, reporting and complaints to park the message", timeout=30)
    wait_until(lambda: alive_and_healthy(platform, COMPANY_REGISTERED_CONSUMERS), "every consumer still up", timeout=5)
