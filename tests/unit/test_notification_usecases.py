"""The notification service's use cases with in-memory ports: each notice once, deliveries claimed."""
import pytest

from services.notification import usecases
from services.notification.dependencies import NoticeStore
from tests.support import blank_report, company, scored_event, submitted_event
from tests.support import FakeChannels, FakeScoring, SettableClock, in_memory


@pytest.fixture
def ports():
    return {"store": in_memory(NoticeStore), "channels": FakeChannels(),
            "clock": SettableClock("2020-12-15T10:00:00")}


def test_a_receipt_is_planned_and_mailed_once_however_often_its_cause_arrives(ports):
    who = company()
    submitted = submitted_event(blank_report(), who)
    sent = [usecases.confirm_receipt(submitted, **ports) for _ in range(3)]
    assert [each.notices for each in sent] == [["receipt"], [], []]
    assert ports["channels"].mailed == [(f"receipt:r-1:1", who["email"])]


def test_an_outcome_that_needs_more_time_brings_an_extension_and_an_alert_in_words(ports):
    who = company(language="en")
    sent = usecases.announce_outcome(scored_event(blank_report(), who), secretariat_language="nl", **ports)
    assert sorted(sent.notices) == ["alert_needs_more_time", "extension", "outcome"]
    alert = ports["store"].inbox("secretariat", None, 0, 10)[0][0]
    assert "Niet gehaald: minimale due-diligencescore" in alert["body"]


def test_a_failed_delivery_is_retried_then_given_up_after_the_policy_s_attempts(ports):
    ports["channels"].failing.add("email")
    usecases.confirm_receipt(submitted_event(blank_report(), company()), **ports)
    results = [usecases.retry_deliveries(store=ports["store"], channels=ports["channels"]).deliveries
               for _ in range(3)]
    assert results == [[("email", "pending")], [("email", "failed")], []]
    notice = ports["store"].inbox("company", ports["store"].all_companies()[0]["_id"], 0, 1)[0][0]
    assert notice["deliveries"]["email"]["state"] == "failed"


def test_reminders_run_twice_on_a_day_send_once(ports):
    ports["store"].register_company(company(joined_on="2019-10-01"))
    ports["clock"].set("2020-12-30T06:00:00")
    first = usecases.send_reminders(scoring=FakeScoring(), secretariat_language="nl", **ports)
    again = usecases.send_reminders(scoring=FakeScoring(), secretariat_language="nl", **ports)
    assert first.notices == ["reminder"] and again.notices == []
