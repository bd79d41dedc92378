"""Notification's ports: what they ask of other services, and how often."""
from services.notification import dependencies
from services.notification.dependencies import ScoringClient, _Scoring

CALENDARS = [{"covenant_year": 1, "due_date": "2020-12-31", "catch_up_date": "2021-04-01"}]


class Scoring:
    """scoring's RPC proxy, counting what it is asked."""

    def __init__(self):
        self.asked = []

    def list_calendars(self):
        self.asked.append("list_calendars")
        return CALENDARS

    def get_framework(self, covenant_year):
        self.asked.append("get_framework")
        return {"covenant_year": covenant_year}


def test_the_calendars_are_asked_of_scoring_once_for_many_views_and_again_once_they_may_have_changed(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(dependencies.time, "monotonic", lambda: now[0])
    client, scoring = ScoringClient(), Scoring()
    for _ in range(5):  # five company pages in a row, each a worker of its own
        assert _Scoring(scoring, client).list_calendars() == CALENDARS
    assert scoring.asked == ["list_calendars"]
    now[0] += ScoringClient.CALENDARS_KEPT_SECONDS + 1
    assert _Scoring(scoring, client).list_calendars() == CALENDARS
    assert _Scoring(scoring, client).get_framework(2) == {"covenant_year": 2}, "other calls go to scoring as they are"
    assert scoring.asked == ["list_calendars", "list_calendars", "get_framework"]
