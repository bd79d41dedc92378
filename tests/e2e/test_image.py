"""deploy/Dockerfile, proven without a Docker engine: exactly what it COPYs, installed as it installs it (a
venv, `pip install -c deploy/constraints.txt .`), starts every service, each serving what needs its files.
A file the image lacks fails here."""
import subprocess
import sys

import pytest
import requests

from tests.support import ROOT, Platform, auth, blank_report, copy_what_the_image_copies, register_company, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """The image's /app: the copied files and a venv with the project installed from them."""
    app = copy_what_the_image_copies(tmp_path_factory.mktemp("image") / "app")
    venv = app.parent / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    installed = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                                "-c", "deploy/constraints.txt", "."], cwd=app, capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-3000:]
    return app, venv


@pytest.fixture(scope="module")
def platform(image, vhost, processes):
    app, venv = image
    # as the image runs it: from its WORKDIR, the code on PYTHONPATH, the venv's nameko
    return Platform(vhost, processes, root=app, nameko=str(venv / "bin" / "nameko"), PYTHONPATH=str(app)).start_all()


def test_the_image_holds_only_what_the_dockerfile_copies(image):
    app, _ = image
    assert not (app / "tests").exists() and not (app / "benchmarks").exists()
    assert not list(app.rglob("__pycache__")), ".dockerignore leaves caches out"
    assert (app / "deploy" / "config.yaml").exists()
    assert str(app) != str(ROOT)


def test_every_service_starts_from_the_image_and_serves_what_needs_its_files(platform):
    for service in ("submission", "scoring", "notification", "reporting", "portal"):
        assert requests.get(platform.url(service, "/health"), timeout=10).json()["status"] == "ok", service
        assert requests.get(platform.url(service, "/openapi.json"), timeout=10).status_code == 200, service
    framework = requests.get(platform.url("scoring", "/v1/frameworks/1"), timeout=10)
    assert framework.status_code == 200 and framework.json()["covenant_year"] == 1, "the framework files"
    for number in range(3):  # an edition to read needs three companies' reports
        company = register_company(platform.url("submission"), name=f"Beeld {number} B.V.")
        requests.post(platform.url("submission", "/v1/reports"), json=blank_report(), headers=auth(company["token"]),
                      timeout=10)
    wait_until(lambda: platform.figures()["assessed_reports"] == 3, "three reports counted")
    assert platform.release().status_code == 201
    report = requests.get(platform.url("reporting", "/v1/sector/1/report?lang=en"), timeout=10)
    assert report.status_code == 200 and "<svg" in report.text, "the report's template and targets"
    home = requests.get(platform.url("portal", "/"), headers={"Accept-Language": "nl"}, timeout=10)
    assert home.status_code == 200 and "lang=\"nl\"" in home.text, "the portal's templates and translations"
    stylesheet = requests.get(platform.url("portal", "/static/portal.css"), timeout=10)
    assert stylesheet.status_code == 200, "the portal's static files"


def test_the_image_s_own_command_runs_from_it(image):
    app, venv = image
    shown = subprocess.run([str(venv / "bin" / "trustone"), "--help"], cwd=app, capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(app)})
    assert shown.returncode == 0 and "trustone run" in shown.stdout, shown.stderr[-2000:]
