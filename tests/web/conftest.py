"""The explorer in a real browser: Debian's Chromium driven by Playwright, against a real `geonews serve`.

One server for the browser tests (module-scoped, so that Chromium and the server stop when they are done): a temp-dir SQLite database, migrated and seeded, with the shared GDELT sample
imported (its events carry coordinates for the map) when the sample is there. Every page a test opens is
checked for console errors; `Web.check()` runs axe-core (vendored, tests/web/vendor) and saves
screenshots at 1280 and 390 px under tests/web/artifacts/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

sync_api = pytest.importorskip("playwright.sync_api")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHROMIUM = Path(os.environ.get("GEONEWS_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
GDELT = ROOT.parent / "shared" / "data" / "gdelt"
GDELT_FILES = [GDELT / "20170701234500.export.CSV", GDELT / "20170701234500.mentions.CSV"]
ARTIFACTS = HERE / "artifacts"
AXE = HERE / "vendor" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise AssertionError(f"geonews {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


class Server:
    def __init__(self, url: str, env: dict[str, str], gdelt: bool) -> None:
        self.url = url
        self.env = env
        self.gdelt = gdelt

    def key(self, scope: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "keys", "create", "--scope", scope, "--name", f"web-{scope}"],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
        )  # fmt: skip
        return done.stdout.strip().splitlines()[-1].strip()  # the key is stdout's last line


@pytest.fixture(scope="module")
def explorer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    folder = tmp_path_factory.mktemp("explorer")
    env = {
        **os.environ,
        "GEONEWS_DATABASE_URL": f"sqlite:///{folder / 'explorer.db'}",
        "GEONEWS_LOG_LEVEL": "warning",
    }
    gdelt = all(f.exists() for f in GDELT_FILES)
    if gdelt:
        _cli(env, "import", "gdelt", *map(str, GDELT_FILES))  # migrates and seeds the new database first
    else:
        _cli(env, "db", "upgrade")
        _cli(env, "seed")
    port = _port()
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--no-seed", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            raise AssertionError((folder / "server.log").read_text())
        time.sleep(0.2)
    try:
        yield Server(url, env, gdelt)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser(explorer_server: Server) -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Web:
    """One browser tab on the server under test, with the checks every page gets."""

    def __init__(self, page: Any, server: Server) -> None:
        self.page = page
        self.server = server
        self.errors: list[str] = []
        page.set_default_timeout(TIMEOUT_MS)
        page.on(
            "console",
            lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def goto(self, path: str) -> Any:
        self.page.goto(self.server.url + path)
        self.settle()
        return self.page

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")

    def path(self) -> str:
        return self.page.url.removeprefix(self.server.url)

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the page as it stands."""
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
        return [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"][:5]],
            }
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    def check(self, name: str) -> None:
        """No serious/critical accessibility violation, no console error; screenshots at 1280 and 390 px."""
        violations = self.axe()
        assert violations == [], f"{name}: axe-core found {violations}"
        ARTIFACTS.mkdir(exist_ok=True)
        size = self.page.viewport_size
        self.page.screenshot(path=str(ARTIFACTS / f"{name}-1280.png"), full_page=True)
        self.page.set_viewport_size(PHONE)
        self.page.wait_for_timeout(150)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}-390.png"), full_page=True)
        overflow = self.page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")
        self.page.set_viewport_size(size)
        assert overflow <= 0, f"{name}: the page is {overflow} px wider than a 390 px screen"
        assert self.errors == [], f"{name}: {self.errors}"


@pytest.fixture
def web(browser: Any, explorer_server: Server) -> Iterator[Web]:
    context = browser.new_context(viewport=DESKTOP)
    w = Web(context.new_page(), explorer_server)
    yield w
    errors = list(w.errors)
    context.close()
    assert errors == [], errors


@pytest.fixture
def no_js(browser: Any, explorer_server: Server) -> Iterator[Web]:
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    w = Web(context.new_page(), explorer_server)
    yield w
    context.close()
