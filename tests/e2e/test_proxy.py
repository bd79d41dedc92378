"""The proxy of docker-compose.yml (deploy/Caddyfile, run by Debian's caddy) in front of the services: the
whole HTTP API at one address, every documented endpoint reaching the service that documents it."""
import pytest
import requests

from tests.support import API_SERVICES, OPERATOR

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def proxy(platform):
    return platform.start_proxy()


def documented(platform, service):
    """(method, path) of every endpoint `service` documents, with "1" for each path parameter."""
    document = requests.get(platform.url(service, "/openapi.json"), timeout=10).json()
    for template, operations in document["paths"].items():
        path = "/".join("1" if part.startswith("{") else part for part in template.split("/"))
        for method in operations:
            yield method.upper(), path


@pytest.mark.parametrize("service", API_SERVICES)
def test_every_endpoint_answers_through_the_proxy_as_the_service_itself_does(platform, proxy, service):
    checked = 0
    for method, path in documented(platform, service):
        if path in ("/health", "/metrics", "/openapi.json", "/replays"):
            continue  # operations, each service's own: /<service>/health below
        direct = requests.request(method, platform.url(service, path), timeout=30)
        proxied = requests.request(method, f"{proxy}{path}", timeout=30)
        assert proxied.status_code == direct.status_code, f"{method} {path} went elsewhere"
        if method == "GET" and direct.status_code == 200 and "json" in direct.headers["Content-Type"]:
            assert proxied.json() == direct.json(), f"{method} {path}"
        checked += 1
    assert checked > 0


@pytest.mark.parametrize("service", API_SERVICES)
def test_each_service_s_own_health_and_documents_are_under_its_name(platform, proxy, service):
    assert requests.get(f"{proxy}/{service}/health", timeout=10).json()["service"] == service
    assert requests.get(f"{proxy}/{service}/openapi.json", timeout=10).json() == \
        requests.get(platform.url(service, "/openapi.json"), timeout=10).json()
    assert "trustone_entrypoint_calls_total" in requests.get(f"{proxy}/{service}/metrics", headers=OPERATOR,
                                                             timeout=10).text
    assert requests.get(f"{proxy}/{service}/metrics", timeout=10).status_code == 401, "for operators only"
    if service in ("submission", "scoring"):  # the sources a consumer is rebuilt from
        assert requests.post(f"{proxy}/{service}/replays", json={"consumer": "reporting"},
                             timeout=10).status_code == 401, "for the secretariat only"


def test_a_path_no_service_serves_is_a_404(proxy):
    assert requests.get(f"{proxy}/v1/nothing-here", timeout=10).status_code == 404
