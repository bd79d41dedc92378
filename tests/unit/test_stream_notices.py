"""The check the report streams of the e2e tests (test_queue_move, test_cluster) end with: every notice a
company's stream of versions should cause is there once, and none it should not. Here on inboxes made by
hand, so that each fault it is to catch is seen caught."""
import pytest

from tests.support import stream_notice_faults

NEEDS, COMPLIANT = "needs_more_time", "compliant"


def notice(kind: str, version: int | None = None, outcome: str | None = None, key: str | None = None) -> dict:
    about = {} if version is None else {"version": version, "report_id": "r1", "outcome": outcome}
    return {"kind": kind, "about": about, "key": key or f"{kind}:r1:{version}"}


def inbox_of(outcomes: list[str], turned=None, extensions=("extension:c1:1:2021-04-01",)) -> list[dict]:
    """A company's inbox as notification makes it for versions with `outcomes` in turn."""
    items = []
    for version, outcome in enumerate(outcomes, start=1):
        items += [notice("receipt", version), notice("outcome", version, outcome)]
        if outcome == COMPLIANT and version > 1 and outcomes[version - 2] == NEEDS and (
                turned is None or version in turned):
            items.append(notice("now_compliant", version, outcome))
    return items + [notice("extension", key=key) for key in extensions]


def alerts_of(outcomes: list[str]) -> list[dict]:
    return [notice("alert_needs_more_time", version, outcome)
            for version, outcome in enumerate(outcomes, start=1) if outcome == NEEDS]


TURNS = [NEEDS, COMPLIANT, NEEDS, COMPLIANT]


def test_a_stream_noticed_as_it_should_be_has_no_fault():
    assert stream_notice_faults(4, inbox_of(TURNS), alerts_of(TURNS), before_due=True) == []
    assert stream_notice_faults(4, inbox_of(TURNS, extensions=()), alerts_of(TURNS), before_due=False) == []
    overtaken = inbox_of(TURNS, turned={4})  # version 3 reached notification before version 2 did
    assert stream_notice_faults(4, overtaken, alerts_of(TURNS), before_due=True) == []


@pytest.mark.parametrize("change, fault", [
    (lambda inbox, alerts: inbox.append(notice("receipt", 2)), "one receipt per version"),
    (lambda inbox, alerts: inbox.remove(notice("outcome", 3, NEEDS)), "one outcome per version"),
    (lambda inbox, alerts: inbox.append(notice("now_compliant", 4, COMPLIANT)), "'now compliant' only on a turn"),
    (lambda inbox, alerts: inbox.append(notice("now_compliant", 3, NEEDS)), "'now compliant' only on a turn"),
    (lambda inbox, alerts: inbox.remove(notice("now_compliant", 4, COMPLIANT)), "'now compliant' for the latest"),
    (lambda inbox, alerts: inbox.append(notice("extension", key="extension:c1:1:2021-05-01")),
     "an extension at most once"),
    (lambda inbox, alerts: alerts.append(notice("alert_needs_more_time", 3, NEEDS)), "an alert per version"),
    (lambda inbox, alerts: alerts.pop(), "an alert per version"),
    (lambda inbox, alerts: alerts.append(notice("alert_needs_more_time", 2, COMPLIANT)), "an alert per version"),
], ids=["a receipt twice", "an outcome missing", "'now compliant' twice", "'now compliant' on needing more time",
        "'now compliant' missing for the latest", "two extensions", "an alert twice", "an alert missing",
        "an alert for a compliant version"])
def test_each_notice_doubled_missing_or_wrong_is_a_fault(change, fault):
    inbox, alerts = inbox_of(TURNS), alerts_of(TURNS)
    change(inbox, alerts)
    faults = stream_notice_faults(4, inbox, alerts, before_due=True)
    assert faults and faults[0].startswith(fault), faults  # first (a missing outcome misses its alert too)


def test_the_extension_follows_the_due_date_and_the_latest_version():
    needing = TURNS[:3]
    assert stream_notice_faults(3, inbox_of(needing, extensions=()), alerts_of(needing), before_due=True)[0] \
        .startswith("an extension, as the latest version needs more time")
    assert stream_notice_faults(4, inbox_of(TURNS), alerts_of(TURNS), before_due=False)[0] \
        .startswith("an extension at most once, none after the due date")
