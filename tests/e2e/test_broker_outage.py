"""End to end, with the broker unreachable: /health says so, and every request that needs the broker is a
503 with a JSON error, soon, instead of a 500."""
import pytest
import requests

from tests.support import SECRETARIAT_TOKEN, Platform, TcpLink, auth, register_company

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def link(vhost):
    host, port = vhost.split("@", 1)[1].split("/", 1)[0].split(":")
    link = TcpLink((host, int(port)))
    yield link
    link.cut()


@pytest.fixture(scope="module")
def platform(vhost, processes, link):
    """Submission, scoring and reporting, reaching the broker only through `link`."""
    platform = Platform(link.uri(vhost), processes, RPC_TIMEOUT_SECONDS="20")
    for service in ("submission", "scoring", "reporting"):
        platform.start(service)
    return platform


def test_health_preview_and_proof_answer_503_when_the_broker_is_unreachable(platform, link, report):
    headers = auth(register_company(platform.url("submission"), name="Graniet B.V.")["token"])
    assert requests.get(platform.url("submission", "/health")).json()["checks"] == {"mongodb": "ok", "consumers": "ok",
                                                                                  "rabbitmq": "ok"}
    assert requests.post(platform.url("submission", "/v1/reports/preview"), json=report,
                         headers=headers).status_code == 200
    link.cut()
    for service in ("submission", "scoring", "reporting"):
        health = requests.get(platform.url(service, "/health"), timeout=10)
        assert health.status_code == 503
        assert health.json() == {"service": service, "status": "degraded",
                                 "checks": {"mongodb": "ok", "rabbitmq": "down", "consumers": "ok"}}
    preview = requests.post(platform.url("submission", "/v1/reports/preview"), json=report, headers=headers,
                            timeout=30)
    proof = requests.get(platform.url("reporting", "/v1/sector/1/proof"), headers=auth(SECRETARIAT_TOKEN),
                         timeout=30)
    for refused in (preview, proof):
        assert refused.status_code == 503, refused.text
        assert refused.headers["Content-Type"].startswith("application/json")
        assert refused.json()["error"]["code"] == "DEPENDENCY_UNAVAILABLE"
