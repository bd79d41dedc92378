"""End to end, a consumer that lost its database is rebuilt from the source of truth: each of scoring,
reporting and notification is started again empty (the in-process engine forgets everything with its
process) and `trustone replay <consumer>` sends it the stored events again; the proof agrees, assessments
(one corrected on appeal) answer again, the case counts and the inbox are back, and no notice is mailed
twice."""
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


def figures_of(platform, year=1):
    """The figures as they stand, without what an edition would change: a rebuilt reporting starts without
    the editions of the one it replaces (they are a source, like complaints' cases: README, Known limits)."""
    return {name: value for name, value in platform.figures(year).items() if name != "release"}


def notices(platform, tokens):
    """Every notice of the companies and the secretariat, by key."""
    found = {}
    for token in [*tokens, SECRETARIAT_TOKEN]:
        for each in platform.inbox(token)["items"]:
            found[each["key"]] = each
    return found


def appeal_upheld(platform, company, report_id):
    """The company contests its missing plan of approach; the commission's chair upholds the appeal.
    Returns the chair's token and the covenant year the case counts in (the year it was filed)."""
    chair = auth(platform.chair()["token"])
    appeal = requests.post(platform.url("complaints", "/v1/appeals"), headers=auth(company["token"]), json={
        "report_id": report_id, "version": 1, "criteria": ["plan_of_approach"],
        "reasons": "Our plan of approach reached the secretariat by e-mail."})
    assert appeal.status_code == 201, appeal.text
    for to, extra in (("acknowledged", {}), ("admissibility_decided", {"admissible": True}),
                      ("in_investigation", {}),
                      ("decided", {"decision": {"outcome": "upheld", "corrections": [
                          {"code": "plan_of_approach", "met": True, "why": "It reached the secretariat."}]}})):
        def taken():
            answer = requests.post(platform.url("complaints", f"/v1/cases/{appeal.json()['number']}/moves"),
                                   headers=chair, json={"to": to, "reason": "The commission decides.", **extra})
            return answer if answer.status_code != 503 else None  # until complaints knows the chair
        assert wait_until(taken, f"the step to {to}").status_code == 201
    case = requests.get(platform.url("complaints", f"/v1/cases/{appeal.json()['number']}"), headers=chair).json()
    return platform.chair()["token"], case["covenant_year"]


def test_scoring_reporting_and_notification_are_rebuilt_from_empty(platform, smtp, report):
    companies = [register_company(platform.url("submission"), name=f"Steen {number} B.V.",
                                  email=f"dd{number}@steen.example") for number in range(3)]
    tokens = [each["token"] for each in companies]
    reports = [with_steps_1_and_21(blank_report()), report, with_steps_1_and_21(blank_report())]  # the last
    # misses only its plan of approach, which an appeal corrects
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
    chair, case_year = appeal_upheld(platform, companies[2], ids[2])
    tokens.append(chair)  # the commission's inbox too

    def appeal_applied():
        found = notices(platform, tokens)
        kinds = [each["kind"] for each in found.values()]
        return (platform.figures(case_year)["cases"]["appeals_upheld"] == 1 and "case_decided" in kinds
                and "now_compliant" in kinds  # and every notice mailed (to the commission: to each member)
                and all(each["deliveries"]["email"]["state"] == "delivered" for each in found.values()))
    wait_until(appeal_applied, "the upheld appeal assessed, counted and noticed, every notice mailed", timeout=60)
    before = notices(platform, tokens)
    mailed = len(smtp.messages())
    figures, case_figures = figures_of(platform), figures_of(platform, case_year)
    assessments = {each: requests.get(platform.url("scoring", f"/v1/reports/{each}/assessments"),
                                      headers=auth(SECRETARIAT_TOKEN)).json() for each in ids}
    assert len(assessments[ids[0]]) == 2
    assert [each["outcome"] for each in assessments[ids[2]]] == ["compliant"]  # its version, as corrected
    assert proof(platform)["agrees"]

    # reporting
    restart_empty(platform, "reporting")
    assert platform.figures()["assessed_reports"] == 0
    replay(platform, "reporting")
    wait_until(lambda: figures_of(platform) == figures and figures_of(platform, case_year) == case_figures,
               "the sector figures, with the case counts, to be as they were")
    assert proof(platform)["agrees"]

    # notification
    restart_empty(platform, "notification")
    assert notices(platform, tokens) == {}
    sent = replay(platform, "notification")
    assert "3 company_registered" in sent and "4 report_submitted" in sent and "5 report_scored" in sent
    assert "1 case_received" in sent and "4 case_moved" in sent
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
    assert "4 case_moved" in replay(platform, "scoring")  # with the submissions: the appeal's decision

    def assessed_again():
        return all(requests.get(platform.url("scoring", f"/v1/reports/{each}/assessments"),
                                headers=auth(SECRETARIAT_TOKEN)).json() == assessments[each] for each in ids)
    wait_until(assessed_again, "scoring to assess every version again")
    assert proof(platform)["agrees"]
    wait_until(lambda: platform.metric("notification", "trustone_entrypoint_calls_total", handled)
               == outcomes_handled + 5, "notification to receive the assessments announced again")
    assert len(smtp.messages()) == mailed, "no notice was mailed twice"
