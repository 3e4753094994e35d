"""/docs: Swagger UI over /openapi.json, its script and styles served from the package (vendored from the
npm registry like the explorer's libraries, pinned in assets.json), so the page works offline."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from . import static_url

SWAGGER = "vendor/swagger-ui-dist/"


def mount_docs(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}/openapi.json",
            title="geonews API",
            swagger_js_url=root + static_url(SWAGGER + "swagger-ui-bundle.js"),
            swagger_css_url=root + static_url(SWAGGER + "swagger-ui.css"),
            swagger_favicon_url=root + static_url(SWAGGER + "favicon-32x32.png"),
            # No online validator badge: it would send the document to a third party.
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        )
