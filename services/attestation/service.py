"""The attestation service: a member's standing as a signed statement (a JWS) that anyone can check, on the
platform or offline with its published keys. It reads standings from notification and changes nothing else."""
from __future__ import annotations

from common import operations
from common.auth import COMPANY, SECRETARIAT, RemoteIdentity, bearer_token
from common.clock import ClockProvider
from common.context import LoggingContext
from common.metrics import Metrics, counter
from common.mongo import Storage
from common.openapi import Doc
from common.rpc import RpcClient
from common.web import http, read_json
from services.attestation import schemas, usecases
from services.attestation.dependencies import AttestationStore, KeyRingProvider


def declare_metrics(registry):
    return {
        "issued": counter(registry, "trustone_attestations_issued", "Attestations issued."),
        # by what was found, never by member
        "verified": counter(registry, "trustone_attestation_verifications",
                            "Attestations checked on the platform, by what was found.", ["result"]),
    }


class AttestationService(operations.Operations):
    name = "attestation"

    storage = Storage(AttestationStore)
    keys = KeyRingProvider()
    identity = RemoteIdentity()
    notification = RpcClient("notification")
    clock = ClockProvider()
    metrics = Metrics(declare_metrics)
    log = LoggingContext()

    @http("GET", "/v1/attestations/keys", doc=Doc(
        "The platform's public keys (a JWKS): every key it ever signed attestations with, and its status",
        responses={200: schemas.KeySet},
        description="Keep a copy to check attestations offline (`trustone verify-attestation`)."))
    def published_keys(self, request):
        return usecases.published_keys(keys=self.keys)

    @http("POST", "/v1/companies/<company_id>/attestations", doc=Doc(
        "A signed attestation of a member's standing (the member itself, or the secretariat)",
        roles=(COMPANY, SECRETARIAT), responses={201: schemas.Issued}, not_found=True,
        description="Who the member is and since when, and per covenant year it had to report for: whether "
                    "and by which date it reported, and its outcome; never its score or report. It holds until "
                    "the next date that could change the standing."))
    def issue(self, request, company_id):
        caller = self.identity.caller(request, COMPANY, SECRETARIAT)
        issued = usecases.issue(caller, company_id, store=self.storage, keys=self.keys, clock=self.clock,
                                notification=self.notification)
        self.metrics.issued.inc()
        return 201, issued

    @http("GET", "/v1/companies/<company_id>/attestations", doc=Doc(
        "The attestations issued of a member, with how often each was verified on the platform, and its latest "
        "checks: when and by whom",
        roles=(COMPANY, SECRETARIAT), responses={200: schemas.IssuedBrief(many=True)}, not_found=True))
    def list_attestations(self, request, company_id):
        caller = self.identity.caller(request, COMPANY, SECRETARIAT)
        return usecases.attestations(caller, company_id, store=self.storage)

    @http("POST", "/v1/attestations/verification", doc=Doc(
        "Check an attestation (anyone): genuine or not and why, whether it still holds, and whether the "
        "member's standing changed since", body=schemas.VerificationRequest, responses={200: schemas.Verification},
        signed_in_optional=True,
        description="A check of a genuine one is recorded for the member: when, and by whom. With a bearer "
                    "token, as the caller (a company's or an authority's registered name, the secretariat, the "
                    "commission; an unknown token: 401); without one, as the organisation `checked_by` names "
                    "(\"said to be\"), else as someone not signed in. Never a token or an address."))
    def verify(self, request):
        caller = self.identity.caller(request) if bearer_token(request) else None
        sent = read_json(request, schemas.VerificationRequest)
        answer = usecases.verify(sent["attestation"], store=self.storage, keys=self.keys, clock=self.clock,
                                 notification=self.notification, caller=caller, checked_by=sent["checked_by"])
        self.metrics.verified.labels("holds" if answer["holds"] else (answer["reason"] or {}).get("code")).inc()
        return answer


SERVICE = AttestationService
