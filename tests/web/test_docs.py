"""/docs works offline: Swagger UI's script and styles come from the package, and in Chromium, with every
request that leaves the server refused, it renders every operation of /openapi.json."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from .conftest import Server, Web


def test_docs_page_names_only_local_assets(client: Any) -> None:
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "http://" not in r.text and "https://" not in r.text and "//cdn" not in r.text
    urls = re.findall(r'(?:href|src)="([^"]+)"', r.text)
    assert {u.split("?")[0].rsplit("/", 1)[-1] for u in urls} == {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "favicon-32x32.png",
    }
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 500, url
        assert "immutable" in asset.headers["cache-control"], url
    assert "url: '/openapi.json'" in r.text
    assert client.get("/redoc").status_code == 404  # ReDoc only comes from a CDN: not offered


def test_docs_render_every_operation_offline(web: Web, explorer_server: Server) -> None:
    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(explorer_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    web.page.route("**/*", only_local)
    spec = web.page.request.get(explorer_server.url + "/openapi.json").json()
    operations = sum(
        1 for item in spec["paths"].values() for m in item if m in ("get", "post", "put", "patch", "delete")
    )
    page = web.goto("/docs")
    expect(page.locator(".information-container .title")).to_contain_text("geonews")
    expect(page.locator(".opblock")).to_have_count(operations)
    expect(page.locator(".opblock-summary-path").filter(has_text="/v1/graph/path")).to_be_visible()
    assert outside == []
