"""End to end, a consumer that lost its database is rebuilt from the source of truth: each of scoring,
reporting and notification is started again empty (the in-process engine forgets everything with its
process) and `trustone replay <consumer>` sends it the stored events again; the proof agrees, assessments
answer again, the inbox is back, and no notice is mailed twice."""
import subprocess

import pytest
import requests

from tests.support import (SECRETARIAT_TOKEN, TRUSTONE, Platform, auth, blank_report,
                           register_company, wait_until, with_steps_1_and_21)

pytestmark = pytest.mark.e2e
CONSUMERS_AND_PEERS = ("submission", "scoring", "notification", "reporting", "complaints")


@pytest.fixture(scope="module")
def platform(vhost, processes, smtp):
    platform = Platform(vhost, processes, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port))
    for service in CONSUMERS_AND_PEERS:
        platform.start(service)
    return platform


def restart_empty(platform, service):
    platform.stop(service)
    platform.start(service)


def replay(platform, consumer):
    done = subprocess.run([TRUSTONE, "replay", consumer], env=platform.env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def proof(platform):
    return requests.get(platform.url("reporting", "/v1/sector/1/proof"), headers=auth(SECRETARIAT_TOKEN),
                        timeout=60).json()


def notices(platform, tokens):
    """Every notice of the companies and the secretariat, by key."""
    found = {}
    for token in [*tokens, SECRETARIAT_TOKEN]:
        for each in platform.inbox(token)["items"]:
            found[each["key"]] = each
    return found


def test_scoring_reporting_and_notification_are_rebuilt_from_empty(platform, smtp, report):
    companies = [register_company(platform.url("submission"), name=f"Steen {number} B.V.",
                                  email=f"dd{number}@steen.example") for number in range(3)]
    tokens = [each["token"] for each in companies]
    reports = [with_steps_1_and_21(blank_report()), report, blank_report()]
    ids = [requests.post(platform.url("submission", "/v1/reports"), json=each, headers=auth(token)).json()["id"]
           for each, token in zip(reports, tokens)]
    resubmitted = requests.post(platform.url("submission", "/v1/reports"), json=report, headers=auth(tokens[0]))
    assert resubmitted.json()["version"] == 2

    def all_mailed():
        found = notices(platform, tokens)
        return (platform.figures()["assessed_reports"] == 3 and len(found) >= 8
                and all(each["deliveries"]["email"]["state"] == "delivered" for each in found.values())
                and len(smtp.messages()) == len(found))
    wait_until(all_mailed, "every report assessed, counted and noticed, every notice mailed", timeout=60)
    before = notices(platform, tokens)
    mailed = len(smtp.messages())
    figures = platform.figures()
    assessments = {each: requests.get(platform.url("scoring", f"/v1/reports/{each}/assessments"),
                                      headers=auth(SECRETARIAT_TOKEN)).json() for each in ids}
    assert len(assessments[ids[0]]) == 2
    assert proof(platform)["agrees"]

    # reporting
    restart_empty(platform, "reporting")
    assert platform.figures()["assessed_reports"] == 0
    replay(platform, "reporting")
    wait_until(lambda: platform.figures() == figures, "the sector figures to be as they were")
    assert proof(platform)["agrees"]

    # notification
    restart_empty(platform, "notification")
    assert notices(platform, tokens) == {}
    sent = replay(platform, "notification")
    assert "3 company_registered" in sent and "4 report_submitted" in sent and "4 report_scored" in sent
    wait_until(lambda: set(notices(platform, tokens)) == set(before), "every notice to be back in the inboxes")
    restored = notices(platform, tokens).values()
    assert {each["deliveries"]["email"]["state"] for each in restored} == {"skipped"}
    assert len(smtp.messages()) == mailed, "no notice was mailed twice"
    assert proof(platform)["agrees"]

    # scoring: a rebuilt scoring assesses every version again and announces it; to the others these are
    # duplicates
    handled = '{entrypoint="announce_outcome",outcome="ok"}'
    outcomes_handled = platform.metric("notification", "trustone_entrypoint_calls_total", handled)
    restart_empty(platform, "scoring")
    assert requests.get(platform.url("scoring", f"/v1/reports/{ids[0]}/assessment"),
                        headers=auth(SECRETARIAT_TOKEN)).status_code == 404
    assert "4 report_submitted" in replay(platform, "scoring")

    def assessed_again():
        return all(requests.get(platform.url("scoring", f"/v1/reports/{each}/assessments"),
                                headers=auth(SECRETARIAT_TOKEN)).json() == assessments[each] for each in ids)
    wait_until(assessed_again, "scoring to assess every version again")
    assert proof(platform)["agrees"]
    wait_until(lambda: platform.metric("notification", "trustone_entrypoint_calls_total", handled)
               == outcomes_handled + 4, "notification to receive the assessments announced again")
    assert len(smtp.messages()) == mailed, "no notice was mailed twice"
