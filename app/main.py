"""create_app(): the lifespan (engine), routers, middleware and error handlers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware

from . import __version__
from .articles.preparer import Preparer
from .auth import admin_access, install_key_store
from .changes.hub import ChangeHub
from .changes.service import RetentionTimer
from .config import Settings, get_settings
from .db import Database
from .errors import ERROR_RESPONSES, install_error_handlers, problem_response
from .metrics import MetricsMiddleware, metrics_endpoint
from .middleware import CancelOnDisconnect, ETagMiddleware, HeadAsGet, RequestContext, RequestGuard
from .openapi import install_openapi
from .ratelimit import RateLimiter
from .responses import JSON
from .schemas import no_numeric_query_dates
from .search.index import SearchIndex
from .web import mount_explorer
from .webhooks.delivery import WebhookDispatcher

DESCRIPTION = """Geopolitical news as data: articles, the actors in them, time-bounded relations between actors,
events and who claimed what. Lists page with opaque cursors; errors are RFC 9457 problem documents."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    if settings.cors_allow_credentials and "*" in settings.cors_origins:
        raise ValueError("GEONEWS_CORS_ALLOW_CREDENTIALS needs explicit GEONEWS_CORS_ORIGINS, not '*'.")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db = Database(settings)
        app.state.db.health.start()
        # The language model (~110 MB) loads on the first article that needs it, so a read-only
        # worker stays small.
        app.state.changes = ChangeHub(
            app.state.db, poll_interval=settings.changes_poll_interval, buffer=settings.changes_stream_buffer
        )
        await app.state.changes.start()
        app.state.search = None
        # Bulk bodies are prepared in worker processes (GEONEWS_INGEST_PROCESSES; 0, the default: inline),
        # started now when there are any; they also encode the index's documents while they run.
        app.state.preparer = Preparer(
            settings.ingest_processes, settings.ingest_pool_min_items, settings.ingest_nice
        )
        app.state.preparer.start(app.state.db)
        if settings.search_engine:
            app.state.search = SearchIndex(app.state.db, app.state.changes, settings)
            app.state.search.encoder = app.state.preparer.encode_documents
            await app.state.search.start()
        background: list[WebhookDispatcher | RetentionTimer] = []
        if settings.webhooks_enabled:
            background.append(WebhookDispatcher(app.state.db, app.state.changes, settings))
        if settings.changes_prune_interval_s > 0:
            background.append(RetentionTimer(app.state.db, settings))
        for task in background:
            await task.start()
        # What is alive once the worker has started lives as long as it (modules, models, routes: ~180k
        # objects): frozen, the full collections that a request's garbage triggers no longer walk it
        # (~130 ms each, about one in a hundred network requests; see the README).
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()  # an app stopped inside a longer-lived process (tests) can be collected
            for task in background:
                await task.stop()
            if app.state.search is not None:
                await app.state.search.stop()
            await app.state.changes.stop()
            await app.state.preparer.close()
            await app.state.db.dispose()

    contact = {"name": "geonews", "url": settings.contact_url}
    if settings.contact_email:
        contact["email"] = settings.contact_email
    app = FastAPI(
        title="geonews",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=JSON,
        dependencies=[Depends(no_numeric_query_dates)],
        servers=[{"url": settings.public_url or "/", "description": "This server"}],
        contact=contact,
        license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
        # Operation ids are the handlers' names (list_actors, create_article): what generated clients call.
        generate_unique_id_function=lambda route: route.name,
        # /docs is Swagger UI from the package (app/web/docs.py), not from a CDN; no ReDoc (CDN-only).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    install_openapi(app, reads_open=lambda: not settings.read_api_key_required)

    from .actors.router import resolve_router
    from .keys.service import StoredKeys

    install_key_store(app, StoredKeys(settings.key_secret))

    from .actors.router import router as actors_router
    from .articles.router import router as articles_router
    from .changes.router import router as changes_router
    from .claims.router import propositions_router
    from .claims.router import router as claims_router
    from .events.router import router as events_router
    from .events.router import types_router
    from .graph.router import actor_router as graph_actor_router
    from .graph.router import router as graph_router
    from .keys.router import router as keys_router
    from .places.router import router as places_router
    from .relations.router import actor_router as actor_relations_router
    from .relations.router import router as relations_router
    from .stories.router import router as stories_router
    from .webhooks.router import router as webhooks_router

    for r in (
        articles_router,
        actors_router,
        actor_relations_router,
        graph_actor_router,
        graph_router,
        relations_router,
        events_router,
        types_router,
        claims_router,
        propositions_router,
        keys_router,
        resolve_router,
        changes_router,
        webhooks_router,
        places_router,
        stories_router,
    ):
        app.include_router(r)

    @app.get("/healthz", tags=["utilities"], summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz", tags=["utilities"], summary="Readiness: the database answers", responses=ERROR_RESPONSES
    )
    async def readyz(request: Request) -> Response:
        """503 within GEONEWS_READINESS_TIMEOUT when the database is down, frozen or unreachable."""
        db: Database = request.app.state.db
        if not db.health.available or not await db.health.check():
            return problem_response(503, "The database does not answer.", headers={"Retry-After": "1"})
        search = request.app.state.search
        index = (
            {"state": search.state, "seq": search.seq, "lag": search.lag(), "dir": str(search.dir)}
            if search is not None
            else {"state": "off"}
        )
        preparer = request.app.state.preparer
        ingest = {"processes": preparer.processes, "started": preparer.started}
        return JSON(
            {"status": "ready", "database": db.engine.dialect.name, "index": index, "ingest_pool": ingest}
        )

    app.add_api_route(
        "/metrics",
        metrics_endpoint,
        methods=["GET"],
        tags=["utilities"],
        include_in_schema=False,
        dependencies=[] if settings.metrics_public else [admin_access],
    )

    mount_explorer(app)
    # Outermost first at request time: request id (and the one log line of any 500), metrics, CORS,
    # HEAD-as-GET, rate limits, the edge checks, ETags, then the article reads' fast path around the app.
    from .articles.fastpath import ArticleReadFastPath

    app.add_middleware(ArticleReadFastPath, reads_open=not settings.read_api_key_required)
    app.add_middleware(ETagMiddleware)
    app.add_middleware(
        RequestGuard,
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout,
        route_limits={"/v1/resolve": settings.resolve_max_bytes},
    )
    app.add_middleware(RateLimiter, settings=settings)
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=settings.cors_allow_credentials,
        allow_methods=["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
        allow_headers=[
            "Authorization",
            "X-API-Key",
            "Content-Type",
            "If-None-Match",
            "Idempotency-Key",
            "X-Request-ID",
        ],
        expose_headers=[
            "ETag",
            "Link",
            "Location",
            "Retry-After",
            "RateLimit",
            "RateLimit-Policy",
            "X-Request-ID",
            "X-Answered-By",
        ],
    )
    app.add_middleware(CancelOnDisconnect)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestContext)
    return app
