"""Every API service fuzzed from its own OpenAPI document (schemathesis, on hypothesis): requests that fit
the document and requests that break it, as each role that may call the endpoint and as nobody. No answer
may be a 5xx, and every answer must be one the document describes: its status, content type and schema.

Bounded: a few examples per endpoint and role (FUZZ_EXAMPLES), so all six services take well under two
minutes on a loaded machine."""
import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, replace_dependencies
from schemathesis import GenerationMode
from schemathesis.checks import (content_type_conformance, negative_data_rejection, not_a_server_error,
                                 response_schema_conformance,
                                 status_code_conformance)

from common import errors, problems
from services.attestation.service import AttestationService
from services.complaints.service import ComplaintsService
from services.notification.service import NotificationService
from services.reporting.service import ReportingService
from services.scoring.service import ScoringService
from services.submission.service import SubmissionService
from tests.support import AUTHORITY, CHAIR, COMPANY, METRICS_TOKEN, SECRETARIAT_TOKEN, FakeScoring, auth, company

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))  # more, once: FUZZ_EXAMPLES=300
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
SERVICES = {"submission": SubmissionService, "scoring": ScoringService, "notification": NotificationService,
            "reporting": ReportingService, "complaints": ComplaintsService, "attestation": AttestationService}


class EmptyPeers:
    """The other services' RPC as complaints and reporting call it, knowing nothing yet."""

    def assessment_of_version(self, report_id, version):
        return None

    def list_members(self):
        return {"companies": [], "authorities": []}

    def latest_assessments(self, covenant_year, after=None, limit=0):
        return []

    def latest_verifications(self, covenant_year):
        return []

    def cases_of_year(self, covenant_year):
        return []

    def standing_of(self, company_id):
        raise errors.NotFound(problems.NO_SUCH_COMPANY())


@pytest.fixture(params=list(SERVICES))
def api(request, container_factory, service_config, members, url, publish):
    """(schema, base URL, a bearer token per role) of one service running in a container."""
    name = request.param
    container = container_factory(SERVICES[name], service_config)
    tokens = {"secretariat": SECRETARIAT_TOKEN, "operator": METRICS_TOKEN}
    if name == "complaints":
        replace_dependencies(container, identity=members.identity(), scoring=EmptyPeers(), submission=EmptyPeers())
    elif name == "reporting":
        replace_dependencies(container, identity=members.identity(), scoring=EmptyPeers(), submission=EmptyPeers(),
                             complaints=EmptyPeers())
    elif name == "notification":
        replace_dependencies(container, identity=members.identity(), scoring=FakeScoring(), submission=EmptyPeers())
    elif name == "submission":
        replace_dependencies(container, scoring=FakeScoring())
    elif name == "scoring":
        replace_dependencies(container, identity=members.identity())
    elif name == "attestation":
        replace_dependencies(container, identity=members.identity(), notification=EmptyPeers())
    container.start()
    if name == "submission":  # its own members, registered as the secretariat does
        secretariat = auth(SECRETARIAT_TOKEN)
        for role, path, body in (("company", "/v1/companies", COMPANY), ("authority", "/v1/authorities", AUTHORITY)):
            tokens[role] = requests.post(url(name, path), json=body, headers=secretariat).json()["token"]
        with entrypoint_hook(container, "appoint_chair") as appoint_chair:  # at deployment, over the broker
            tokens["commission"] = appoint_chair(CHAIR)["token"]
        # a seat awaiting the chair's confirmation, for the fuzzer to find among the members
        requests.post(url(name, "/v1/commission-members"), headers=secretariat, json={
            "name": "Member", "seat": "employers", "email": "m@example.org", "language": "en"})
    else:
        for role in ("company", "authority", "commission"):
            members.add(f"{role}-token", role, f"{role}-1")
            tokens[role] = f"{role}-token"
        # what the service hears of its callers before they call (else: 503, their registration on its way)
        known = {"notification": [("remember_company", "company_registered", {"company": company(company_id="company-1")}),
                                  ("remember_authority", "authority_registered", {"authority": {
                                      "id": "authority-1", "name": "Gemeente Leiden", "country": "NL",
                                      "joined_on": "2020-03-01"}})],
                 "complaints": [("remember_commission_member", "commission_member_registered", {"member": {
                     "id": "commission-1", "name": "Chair", "seat": "chair", "email": "chair@example.org",
                     "language": "nl"}, "seated": True})]}
        for entrypoint, event_type, data in known.get(name, []):
            with entrypoint_waiter(container, entrypoint):
                publish("submission", event_type, data)
    base = url(name, "")
    return schemathesis.openapi.from_dict(requests.get(f"{base}/openapi.json").json()), base, tokens


def test_no_request_gets_a_5xx_or_an_answer_the_document_does_not_describe(api):
    document, base, tokens = api
    failures = []
    for operation in (each.ok() for each in document.get_all_operations()):
        roles = operation.definition.raw.get("x-roles", [])
        for mode in GenerationMode:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                      database=None, derandomize=True)
            def fuzz(case):
                for headers in [auth(tokens[role]) for role in roles] or [{}]:
                    case.call_and_validate(base_url=base, headers=headers, checks=CHECKS)
            try:
                fuzz()
            except Unsatisfiable:  # nothing to break: an endpoint without parameters or body
                assert mode is GenerationMode.NEGATIVE
            except BaseException as exc:  # noqa: BLE001 - every operation is tried; all failures shown at once
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
