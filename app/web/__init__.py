"""The explorer: a browser front end of the geonews API, served by the same process at `/`.

`mount_explorer(app)` adds the pages (`/`, `/articles/{id}`, `/actors/{a}`, `/alliances/{a}`, `/events`,
`/events/{id}`, `/propositions[/{id}]`, none of them in the OpenAPI document) and the static files under
`/static`. The pages get their data only from the public API (see client.py); the static files are the
explorer's own CSS and ES modules plus the vendored libraries pinned in assets.json (Swagger UI among
them: /docs is served from the package too, see docs.py).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

STATIC = Path(__file__).resolve().parent / "static"


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """/static/PATH?v=HASH: the content hash makes each URL immutable, so browsers cache it for a year."""
    digest = hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:10]
    return f"/static/{path}?v={digest}"


class Static(StaticFiles):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        versioned = b"v=" in scope.get("query_string", b"")

        async def send_with_cache(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                policy = b"public, max-age=31536000, immutable" if versioned else b"no-cache"
                message["headers"] = [*message.get("headers", []), (b"cache-control", policy)]
            await send(message)

        await super().__call__(scope, receive, send_with_cache)


def mount_explorer(app: FastAPI) -> None:
    """The explorer's pages, /docs (Swagger UI from the vendored copy) and the static files of both."""
    from .docs import mount_docs
    from .pages import router

    app.include_router(router)
    mount_docs(app)
    app.mount("/static", Static(directory=str(STATIC)), name="static")
