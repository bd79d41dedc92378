"""The browser: Debian's Chromium driven by Playwright, by path (never downloaded)."""
from __future__ import annotations

from pathlib import Path


class Browser:
    """Debian's Chromium driven by Playwright (by path: no browser is downloaded), with a screenshot of
    every page a test looks at (test-artifacts/<test>/) and axe-core's check of it."""

    # every impact: a moderate violation (two landmarks with one name) is as real to a screen-reader user
    IMPACTS = ("minor", "moderate", "serious", "critical")

    def __init__(self, artifacts: Path):
        import shutil

        from playwright.sync_api import sync_playwright
        executable = shutil.which("chromium")
        assert executable, "Debian's chromium drives the browser tests; .ci/run installs it"
        self.artifacts = artifacts
        shutil.rmtree(artifacts, ignore_errors=True)  # the artefacts of this run only
        artifacts.mkdir(parents=True)
        self.shots = 0
        self._playwright = sync_playwright().start()
        self.chromium = self._playwright.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])

    def person(self, locale: str = "nl-NL", phone: bool = False):
        """A new browser window of its own (its own cookies), as a person in `locale` would have."""
        size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        return self.chromium.new_context(locale=locale, viewport=size, is_mobile=phone, has_touch=phone)

    def look(self, page, name: str) -> list[dict]:
        """Saves a screenshot of the page and returns axe-core's violations on it, whatever their impact."""
        from axe_playwright_python.sync_playwright import Axe
        self.shots += 1
        page.screenshot(path=str(self.artifacts / f"{self.shots:02d}-{name}.png"), full_page=True)
        found = Axe().run(page).response["violations"]
        return [{"id": each["id"], "impact": each["impact"], "help": each["help"],
                 "nodes": [node["target"] for node in each["nodes"]][:3]}
                for each in found if each["impact"] in self.IMPACTS]

    def close(self):
        for context in self.chromium.contexts:
            context.close()
        self.chromium.close()
        self._playwright.stop()
