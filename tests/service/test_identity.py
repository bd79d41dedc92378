"""Token lookups from services other than submission: over RPC, known callers remembered."""
import pytest
import requests
from nameko.rpc import rpc

from common.auth import token_hash
from services.scoring.service import ScoringService


class CountingSubmission:
    """The submission service's identify RPC, counting the lookups it is asked."""
    name = "submission"
    asked: list = []

    @rpc
    def identify(self, digest):
        CountingSubmission.asked.append(digest)
        return {"role": "company", "id": "c-1"} if digest == token_hash("known-token") else None


def test_a_known_token_is_looked_up_once_and_an_unknown_one_every_time(container_factory, service_config, url):
    CountingSubmission.asked = []
    container_factory(CountingSubmission, service_config).start()
    container_factory(ScoringService, service_config).start()
    address = url("scoring", "/v1/reports/r-1/assessment")
    for _ in range(3):
        assert requests.get(address, headers={"Authorization": "Bearer known-token"}).status_code == 404
        assert requests.get(address, headers={"Authorization": "Bearer guessed"}).status_code == 401
    assert CountingSubmission.asked.count(token_hash("known-token")) == 1
    assert CountingSubmission.asked.count(token_hash("guessed")) == 3
    assert "guessed" not in CountingSubmission.asked and "known-token" not in CountingSubmission.asked


def test_a_service_refuses_to_start_with_a_weak_secretariat_token(container_factory, service_config):
    from services.submission.service import SubmissionService
    for service in (ScoringService, SubmissionService):  # by RPC, and where the token hashes are kept
        for weak in ("secretariat-demo-token", "x" * 31):
            container = container_factory(service, {**service_config, "SECRETARIAT_TOKEN": weak})
            with pytest.raises(ValueError, match="SECRETARIAT_TOKEN must be at least 32 characters"):
                container.start()
