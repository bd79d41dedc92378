"""End to end, with poison on the broker: events no handler can take (a `report_scored` with empty data,
bodies that are not JSON, envelopes nobody knows) are parked, while genuine reports keep flowing;
`trustone parked` lists them and discards them. (A handling that fails is retried before it is parked:
tests/service/test_redelivery.py; data its schema refuses never reaches a handler, so it is parked at once.)"""
import subprocess

import pytest
import requests
from kombu import Connection

from common.events import CURRENT_VERSION
from tests.support import TRUSTONE, Platform, auth, register_company, wait_until

pytestmark = pytest.mark.e2e
POISON = 25  # more than a service's 10 workers


@pytest.fixture(scope="module")
def platform(vhost, processes):
    platform = Platform(vhost, processes, EVENT_ATTEMPTS="3", EVENT_RETRY_BACKOFF_SECONDS="0.5")
    for service in ("submission", "scoring", "notification", "reporting"):
        platform.start(service)
    return platform


def parked(platform, *arguments):
    done = subprocess.run([TRUSTONE, "parked", *arguments], env=platform.env, capture_output=True, text=True,
                          timeout=120)
    return done.returncode, done.stdout


def poison(amqp_uri):
    # of the current version, so that no upcaster reads it first: the handlers themselves fail on it
    empty_scored = ('{"id": "poison-%%d", "type": "report_scored", "schema_version": %d, "occurred_at": '
                    '"2020-12-01T10:00:00+00:00", "correlation_id": "poison", "producer": "scoring", "data": {}}'
                    % CURRENT_VERSION["report_scored"])
    with Connection(amqp_uri) as connection:
        producer = connection.Producer()
        for number in range(POISON):
            producer.publish((empty_scored % number).encode(), exchange="scoring.events", routing_key="report_scored",
                             content_type="application/json", content_encoding="utf-8")
        producer.publish(b"<xml>not json</xml>", exchange="submission.events", routing_key="company_registered",
                         content_type="application/json", content_encoding="binary")
        producer.publish(b'{"type": "report_submitted"}', exchange="submission.events",
                         routing_key="report_submitted", content_type="application/json", content_encoding="utf-8")


def test_poison_is_parked_while_reports_flow_and_an_operator_clears_it(platform, report):
    # a first report through every consumer: their queues are bound (a service answers /health a moment
    # before its consumers have declared theirs, and poison sent then would reach no queue)
    first = register_company(platform.url("submission"), name="Basalt B.V.")["token"]
    assert requests.post(platform.url("submission", "/v1/reports"), json=report,
                         headers=auth(first)).status_code == 202
    def first_through():
        kinds = {each["kind"] for each in platform.inbox(first)["items"]}
        return platform.figures()["assessed_reports"] == 1 and {"receipt", "outcome"} <= kinds
    wait_until(first_through, "a first report counted and noticed", timeout=60)
    token = register_company(platform.url("submission"), name="Graniet B.V.")["token"]
    poison(platform.amqp_uri)
    accepted = requests.post(platform.url("submission", "/v1/reports"), json=report, headers=auth(token))
    assert accepted.status_code == 202

    def counted_and_noticed():
        kinds = {each["kind"] for each in platform.inbox(token)["items"]}
        return platform.figures()["assessed_reports"] == 2 and {"receipt", "outcome"} <= kinds
    wait_until(counted_and_noticed, "the genuine report to be counted and noticed despite the poison", timeout=60)

    every = 2 * POISON + 1 + 1 + 2  # report_scored to reporting and notification; the bad body to each of
    # company_registered's two running consumers; the envelope that is none to report_submitted's two

    parked_by = {}

    def all_parked():
        parked_by.update({service: platform.metric_total(service, "trustone_events_parked_total")
                          for service in ("scoring", "notification", "reporting")})
        return sum(parked_by.values()) == every
    try:
        wait_until(all_parked, "every poisoned message to be parked", timeout=90)
    except AssertionError as exc:  # say how many each service parked, against the expected total
        raise AssertionError(f"{exc}; parked {parked_by} of {every}") from None
    assert platform.metric("reporting", "trustone_events_parked_total",
                           '{entrypoint="apply_assessment",reason="invalid_event"}') == POISON
    assert platform.metric("reporting", "trustone_events_parked_total",
                           '{entrypoint="count_member",reason="undecodable"}') == 1
    assert platform.metric("scoring", "trustone_events_parked_total",
                           '{entrypoint="score_submitted_report",reason="invalid_event"}') == 1
    status, listing = parked(platform, "list")
    assert status == 0
    assert f"{every} parked message(s)" in listing
    assert "invalid_event after 1 attempt(s)  report_scored poison-7" in listing
    assert "Missing data for required field" in listing
    status, listing = parked(platform, "discard", "--all")
    assert status == 0
    assert parked(platform, "list") == (0, "0 parked message(s)\n")
