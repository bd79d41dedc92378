"""Who may do what on the submission service (public, company A, company B, authority, secretariat, bad
token), and every answer is the one the OpenAPI document describes."""
import base64
import uuid

import pytest
import requests
from nameko.testing.services import entrypoint_hook, replace_dependencies

from common import errors

from services.submission.service import SubmissionService
from tests.support import AUTHORITY, COMPANY, SECRETARIAT_TOKEN, ApiContract, FakeScoring, auth



@pytest.fixture
def world(container_factory, service_config, url, report):
    container = container_factory(SubmissionService, service_config)
    replace_dependencies(container, scoring=FakeScoring())
    container.start()
    secretariat = auth(SECRETARIAT_TOKEN)
    a = requests.post(url("submission", "/v1/companies"), json=COMPANY, headers=secretariat).json()
    b = requests.post(url("submission", "/v1/companies"), json={**COMPANY, "name": "B"}, headers=secretariat).json()
    authority = requests.post(url("submission", "/v1/authorities"), json=AUTHORITY, headers=secretariat).json()
    plan = requests.post(url("submission", "/v1/reports/files"), data=PNG, headers=auth(a["token"])).json()
    report_a = requests.post(url("submission", "/v1/reports"), json={**report, "plan_of_approach_file": plan["id"]},
                             headers=auth(a["token"])).json()
    with entrypoint_hook(container, "appoint_chair") as appoint_chair:  # at deployment, over the broker
        chair = appoint_chair(CHAIR_APPOINTMENT)
    member = seated(url, chair["token"], seat_registered(url, "employers"))
    callers = {"public": {}, "company A": auth(a["token"]), "company B": auth(b["token"]),
               "authority": auth(authority["token"]), "secretariat": secretariat, "bad token": auth("nonsense"),
               "member": auth(member["token"]), "chair": auth(chair["token"])}
    contract = ApiContract(requests.get(url("submission", "/openapi.json")).json())
    return {"callers": callers, "report_a": report_a["id"], "plan": plan["id"], "a": a, "b": b, "contract": contract, "container": container,
            "chair": chair, "member": member}


PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
CHAIR_APPOINTMENT = {"name": "Anna Voorzitter", "email": "anna@example.org", "language": "nl"}


def seat_registered(url, seat):
    """A seat the secretariat registers (each its own member's name): it waits for the chair's confirmation."""
    answer = requests.post(url("submission", "/v1/commission-members"), headers=auth(SECRETARIAT_TOKEN), json={
        "name": f"Member {seat} {uuid.uuid4().hex[:6]}", "seat": seat, "email": f"{seat}@example.org", "language": "en"})
    assert answer.status_code == 201, answer.text
    return answer.json()


def seated(url, chair_token, seat):
    answer = requests.post(url("submission", f"/v1/commission-members/{seat['id']}/confirmation"),
                           headers=auth(chair_token))
    assert answer.status_code == 200, answer.text
    return answer.json()


# endpoint -> expected status per caller: public, A, B, authority, secretariat, bad token, commission member, chair
MATRIX = {
    ("POST", "/v1/companies"): (401, 403, 403, 403, 201, 401, 403, 403),
    ("GET", "/v1/companies"): (401, 403, 403, 403, 200, 401, 403, 403),
    ("GET", "/v1/companies/{company_id}"): (401, 403, 403, 403, 200, 401, 403, 403),
    ("POST", "/v1/companies/names"): (401, 403, 403, 403, 200, 401, 403, 403),
    ("POST", "/v1/authorities"): (401, 403, 403, 403, 201, 401, 403, 403),
    ("POST", "/v1/reports"): (401, 202, 202, 403, 403, 401, 403, 403),
    ("GET", "/v1/reports"): (401, 200, 200, 403, 200, 401, 403, 403),
    ("GET", "/v1/reports/{report_id}"): (401, 200, 404, 404, 200, 401, 404, 404),
    ("POST", "/v1/reports/preview"): (401, 200, 200, 403, 403, 401, 403, 403),
    # the body here is a report, no file: a company is told it is not a PDF, JPEG or PNG
    ("POST", "/v1/reports/files"): (401, 422, 422, 403, 403, 401, 403, 403),
    # the plan of approach company A sent with its report: no one else but the secretariat reads it
    ("GET", "/v1/reports/{report_id}/versions/{version}/files/{file_id}"): (401, 200, 404, 404, 200, 401, 404, 404),
    ("GET", "/v1/me"): (401, 200, 200, 200, 200, 401, 200, 200),
    ("GET", "/v1/members"): (200,) * 8,
    # company A's code: the secretariat's to replace; the commission replaces only its own members' codes
    ("POST", "/v1/members/{member_id}/token"): (401, 403, 403, 403, 200, 401, 404, 404),
    ("POST", "/v1/commission-members"): (401, 403, 403, 403, 201, 401, 403, 403),
    ("GET", "/v1/commission-members"): (401, 403, 403, 403, 200, 401, 403, 200),
    # a seat the secretariat registered: only the chair confirms it
    ("POST", "/v1/commission-members/{member_id}/confirmation"): (401, 403, 403, 403, 403, 401, 403, 200),
    ("GET", "/health"): (200,) * 8,
    ("GET", "/metrics"): (401,) * 8,  # for operators only: none of these callers holds their token
    ("GET", "/openapi.json"): (200,) * 8,
}
CALLERS = ("public", "company A", "company B", "authority", "secretariat", "bad token", "member", "chair")


def body_for(method, path, report):
    if method != "POST":
        return None
    return {"/v1/companies": {**COMPANY, "name": "New"}, "/v1/authorities": {**AUTHORITY, "name": "New authority"},
            "/v1/companies/names": {"ids": []},
            "/v1/commission-members": {"name": "Chair", "seat": "chair", "email": "chair@example.org",
                                       "language": "nl"}}.get(path, report)


@pytest.mark.parametrize("method,path", list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
def test_role_matrix(world, url, report, method, path):
    member_id = seat_registered(url, "unions_and_ngos")["id"] if path.endswith("/confirmation") else world["a"]["id"]
    concrete = path.replace("{report_id}", world["report_a"]).replace("{member_id}", member_id) \
        .replace("{company_id}", world["a"]["id"]).replace("{version}", "1").replace("{file_id}", world["plan"])
    for caller, expected in zip(CALLERS, MATRIX[(method, path)]):
        response = requests.request(method, url("submission", concrete), headers=world["callers"][caller],
                                    json=body_for(method, path, report))
        assert response.status_code == expected, f"{caller}: {response.status_code} {response.text[:200]}"
        world["contract"].check(method, path, response)


def test_a_new_token_given_by_the_secretariat_replaces_the_lost_one_at_once(world, url):
    callers, a = world["callers"], world["a"]
    answer = requests.post(url("submission", f"/v1/members/{a['id']}/token"), headers=callers["secretariat"])
    assert answer.status_code == 200
    new = answer.json()
    assert (new["id"], new["role"], new["name"]) == (a["id"], "company", a["name"]) and new["token"] != a["token"]
    assert requests.get(url("submission", "/v1/me"), headers=callers["company A"]).status_code == 401
    me = requests.get(url("submission", "/v1/me"), headers=auth(new["token"])).json()
    assert me["member"]["id"] == a["id"]
    unknown = requests.post(url("submission", "/v1/members/nobody/token"), headers=callers["secretariat"])
    assert unknown.status_code == 404 and "nobody" in unknown.json()["error"]["message"]
    listed = requests.get(url("submission", "/v1/companies"), headers=callers["secretariat"]).json()
    assert all("token" not in key for company in listed for key in company), "the list never shows a token"


def test_the_secretariat_reads_one_company_or_a_few_without_the_whole_list(world, url):
    secretariat, a, b = world["callers"]["secretariat"], world["a"], world["b"]
    one = requests.get(url("submission", f"/v1/companies/{a['id']}"), headers=secretariat)
    assert one.status_code == 200 and (one.json()["id"], one.json()["name"]) == (a["id"], a["name"])
    assert not any("token" in key for key in one.json())
    assert requests.get(url("submission", "/v1/companies/nobody"), headers=secretariat).status_code == 404
    few = requests.get(url("submission", "/v1/companies"), params={"ids": f"{b['id']},nobody"}, headers=secretariat)
    assert [each["id"] for each in few.json()] == [b["id"]]
    assert len(requests.get(url("submission", "/v1/companies"), headers=secretariat).json()) >= 2
    # a verification sample's names: hundreds of ids in one answer, only ids and names
    named = requests.post(url("submission", "/v1/companies/names"), headers=secretariat,
                          json={"ids": [b["id"], "nobody", a["id"]] + [f"other-{n}" for n in range(600)]})
    assert named.status_code == 200 and named.json() == [{"id": a["id"], "name": a["name"]},
                                                          {"id": b["id"], "name": b["name"]}]
    too_many = requests.post(url("submission", "/v1/companies/names"), headers=secretariat,
                             json={"ids": ["x"] * 10_001})
    assert too_many.status_code == 422


def test_the_secretariat_alone_can_neither_seat_a_commission_member_nor_replace_one_s_code(world, url):
    """Issue 24's attack at this depth: a seat the secretariat registers comes without a code and opens
    nothing; the secretariat cannot give a real member a new code; the chair confirms seats, and the chair
    and the member itself replace a member's code."""
    callers, member, chair = world["callers"], world["member"], world["chair"]
    registered = seat_registered(url, "employers")
    assert "token" not in registered and registered["status"] == "awaiting_confirmation"
    listed = requests.get(url("submission", "/v1/commission-members"), headers=callers["secretariat"]).json()
    assert {each["id"]: each["status"] for each in listed}[registered["id"]] == "awaiting_confirmation"

    refused = requests.post(url("submission", f"/v1/members/{member['id']}/token"), headers=callers["secretariat"])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"
    assert requests.post(url("submission", f"/v1/members/{chair['id']}/token"),
                         headers=callers["secretariat"]).status_code == 403
    assert requests.get(url("submission", "/v1/me"), headers=callers["member"]).status_code == 200, \
        "the member's code still works"

    own = requests.post(url("submission", f"/v1/members/{member['id']}/token"), headers=callers["member"])
    assert own.status_code == 200
    assert requests.get(url("submission", "/v1/me"), headers=callers["member"]).status_code == 401
    by_chair = requests.post(url("submission", f"/v1/members/{member['id']}/token"), headers=callers["chair"])
    assert by_chair.status_code == 200
    assert requests.get(url("submission", "/v1/me"), headers=auth(own.json()["token"])).status_code == 401
    me = requests.get(url("submission", "/v1/me"), headers=auth(by_chair.json()["token"])).json()
    assert (me["role"], me["member"]["seat"], me["member"]["status"]) == ("commission", "employers", "seated")
    other = requests.post(url("submission", f"/v1/members/{chair['id']}/token"),
                          headers=auth(by_chair.json()["token"]))
    assert other.status_code == 403, "a member replaces no other member's code"
    world["contract"].check("POST", "/v1/members/{member_id}/token", refused)

    again = requests.post(url("submission", f"/v1/commission-members/{member['id']}/confirmation"),
                          headers=callers["chair"])
    assert again.status_code == 422 and list(again.json()["errors"]) == ["member"]
    world["contract"].check("POST", "/v1/commission-members/{member_id}/confirmation", again)
    waiting = requests.post(url("submission", f"/v1/members/{registered['id']}/token"), headers=callers["chair"])
    assert waiting.status_code == 422, "a seat awaiting confirmation gets its code from the confirmation"
    world["contract"].check("POST", "/v1/members/{member_id}/token", waiting)


def test_the_first_chair_is_appointed_once_over_the_broker(world):
    with entrypoint_hook(world["container"], "appoint_chair") as appoint_chair:
        with pytest.raises(errors.Forbidden):
            appoint_chair({**CHAIR_APPOINTMENT, "name": "A Second Chair"})
        with pytest.raises(errors.Invalid) as refused:
            appoint_chair({"name": "", "email": "not an address", "language": "fr"})
    assert set(refused.value.errors) == {"name", "email", "language"}


def test_a_company_lists_only_its_own_reports_and_the_secretariat_filters(world, url, report):
    callers = world["callers"]
    requests.post(url("submission", "/v1/reports"), json={**report, "covenant_year": 2},
                  headers=callers["company B"])
    own = requests.get(url("submission", "/v1/reports"), headers=callers["company A"]).json()
    assert [(each["id"], each["covenant_year"]) for each in own] == [(world["report_a"], 1)]
    everyone = requests.get(url("submission", "/v1/reports"), headers=callers["secretariat"]).json()
    assert len(everyone) == 2
    year_2 = requests.get(url("submission", "/v1/reports?covenant_year=2"), headers=callers["secretariat"])
    assert [each["covenant_year"] for each in year_2.json()] == [2]
    of_a = requests.get(url("submission", f"/v1/reports?company_id={world['a']['id']}"),
                        headers=callers["secretariat"]).json()
    assert [each["id"] for each in of_a] == [world["report_a"]]
    bad = requests.get(url("submission", "/v1/reports?covenant_year=first"), headers=callers["secretariat"])
    assert bad.status_code == 422 and bad.json()["errors"] == {"covenant_year": ["Not a valid integer."]}
    assert bad.json()["problems"] == {"covenant_year": [
        {"code": "type", "expected": "integer", "message": "Not a valid integer."}]}


def test_a_version_history_of_three(world, url, report):
    headers = world["callers"]["company A"]
    for chains in (13, 14):
        requests.post(url("submission", "/v1/reports"), json={**report, "chains": chains}, headers=headers)
    shown = requests.get(url("submission", f"/v1/reports/{world['report_a']}"), headers=headers)
    world["contract"].check("GET", "/v1/reports/{report_id}", shown)
    history = shown.json()["versions"]
    assert [(each["version"], each["report"]["chains"]) for each in history] == [(1, 12), (2, 13), (3, 14)]
    assert shown.json()["report"]["chains"] == 14 and shown.json()["latest_version"] == 3


def test_oversized_and_malformed_bodies(world, url):
    headers = world["callers"]["company A"]
    too_big = requests.post(url("submission", "/v1/reports"), headers=headers,
                            data=b'{"pad": "' + b"x" * (1024 * 1024) + b'"}')
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "BODY_TOO_LARGE"
    as_json = {**headers, "Content-Type": "application/json"}
    malformed = requests.post(url("submission", "/v1/reports"), headers=as_json, data=b'{"covenant_year": ')
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "MALFORMED_JSON"
    world["contract"].check("POST", "/v1/reports", too_big)
    world["contract"].check("POST", "/v1/reports", malformed)


def test_the_openapi_document_lists_every_endpoint_with_its_auth(world):
    document = world["contract"].document
    for method, path in MATRIX:
        assert method.lower() in document["paths"][path], f"{method} {path} undocumented"
    submit = document["paths"]["/v1/reports"]["post"]
    assert submit["security"] == [{"bearer": []}]
    assert {"202", "400", "401", "403", "413", "422", "503"} <= set(submit["responses"])
    assert submit["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/AnnualReport"}
    assert "security" not in document["paths"]["/health"]["get"]


def test_each_caller_learns_who_it_is(world, url):
    callers = world["callers"]
    me = requests.get(url("submission", "/v1/me"), headers=callers["company A"]).json()
    assert me["role"] == "company" and me["member"]["id"] == world["a"]["id"]
    assert "token_hash" not in me["member"] and "event" not in me["member"]
    assert requests.get(url("submission", "/v1/me"), headers=callers["authority"]).json()["member"]["name"] == \
        "Gemeente Leiden"
    assert requests.get(url("submission", "/v1/me"), headers=callers["secretariat"]).json() == {"role": "secretariat"}


def test_hostile_bodies_are_refused_with_a_4xx_and_change_nothing(world, url, report):
    headers = world["callers"]["company A"]
    before = requests.get(url("submission", "/v1/reports"), headers=headers).json()
    deep = b"[" * 10_000 + b"]" * 10_000
    for path in ("/v1/reports", "/v1/reports/preview"):
        nested = requests.post(url("submission", path), headers={**headers, "Content-Type": "application/json"},
                               data=deep)
        assert nested.status_code == 400 and nested.json()["error"]["code"] == "MALFORMED_JSON"
        as_xml = requests.post(url("submission", path), headers={**headers, "Content-Type": "application/xml"},
                               json=report)
        assert as_xml.status_code == 415 and as_xml.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    huge = {**report, "chains": 2 ** 64, "supply_chain": {**report["supply_chain"],
                                                          "quarries": {"known": 2 ** 63, "total": 2 ** 64}}}
    submitted = requests.post(url("submission", "/v1/reports"), headers=headers, json=huge)
    previewed = requests.post(url("submission", "/v1/reports/preview"), headers=headers, json=huge)
    assert submitted.status_code == previewed.status_code == 422
    assert submitted.json() == previewed.json()
    assert set(submitted.json()["errors"]) == {"chains", "supply_chain.quarries.known", "supply_chain.quarries.total"}
    assert requests.get(url("submission", "/v1/reports"), headers=headers).json() == before
    registered = requests.post(url("submission", "/v1/companies"), headers=world["callers"]["secretariat"],
                               json={**COMPANY, "name": "Later", "joined_on": "9999-12-31"})
    assert registered.status_code == 422 and list(registered.json()["errors"]) == ["joined_on"]
    world["contract"].check("POST", "/v1/reports", submitted)


def test_an_address_or_method_no_endpoint_takes_answers_json(world, url):
    for path in ("/v1/nothing-here", "/v1/reports/x/y/z"):
        missing = requests.get(url("submission", path), headers=world["callers"]["company A"])
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"
    wrong = requests.delete(url("submission", "/v1/reports"), headers=world["callers"]["company A"])
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert set(wrong.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_a_company_reads_no_other_companys_file_by_naming_it_and_a_404_tells_no_file_apart(world, url, report):
    """Company B names company A's plan of approach in its own report, then asks for it through its own report
    and through A's; everyone but A and the secretariat gets the same 404 for A's file as for a file that
    never was, so trying ids learns nothing."""
    callers, theirs = world["callers"], world["plan"]
    b = callers["company B"]
    named = requests.post(url("submission", "/v1/reports"), headers=b, json={
        **report, "plan_of_approach_file": theirs, "evidence": [{**report["evidence"][0], "file": theirs}]})
    assert named.status_code == 422 and named.json()["problems"] == {
        path: [{"code": "unknown_file", "message": "No file of yours has this id: upload the file again."}]
        for path in ("evidence.0.file", "plan_of_approach_file")}
    own = requests.post(url("submission", "/v1/reports"), headers=b, json=report).json()["id"]
    never = "0123456789abcdef01234567"
    answers = set()
    for caller in ("company B", "authority", "member", "chair"):
        for report_id, file_id in ((world["report_a"], theirs), (world["report_a"], never), (own, theirs),
                                   (own, never), (world["report_a"], "../../reports")):
            for version in (1, 2):
                got = requests.get(url("submission", f"/v1/reports/{report_id}/versions/{version}/files/{file_id}"),
                                   headers=callers[caller])
                answers.add((got.status_code, got.text))
    assert len(answers) == 1 and answers.pop()[0] == 404
    # A itself: its file through the version that names it only
    a = callers["company A"]
    assert requests.get(url("submission", f"/v1/reports/{world['report_a']}/versions/2/files/{theirs}"),
                        headers=a).status_code == 404
    got = requests.get(url("submission", f"/v1/reports/{world['report_a']}/versions/1/files/{theirs}"), headers=a)
    assert got.status_code == 200 and got.content.startswith(b"\x89PNG")
    # a download, of the type it is kept as, that a browser neither sniffs nor runs as a page
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["Content-Disposition"] == 'attachment; filename="report-file-1.png"'
    assert got.headers["X-Content-Type-Options"] == "nosniff" and got.headers["Cache-Control"] == "no-store"
    assert "sandbox" in got.headers["Content-Security-Policy"] and \
        "default-src 'none'" in got.headers["Content-Security-Policy"]
