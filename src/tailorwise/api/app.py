"""The app factory: ``create_app(settings)`` builds the FastAPI app over one store and the
models folder. Errors from the layers below become answers that say why: 404 for an
unknown id, 422 for a bad request, 503 while there is no model; never a 500 for a user's
mistake."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from tailorwise.api.routes import router
from tailorwise.api.schemas import EventsIn, Health
from tailorwise.api.settings import ServeSettings
from tailorwise.api.state import NoModelError, ServerState
from tailorwise.data.idmap import UnknownIdError
from tailorwise.errors import ConfigError, InvalidRequestError, StoreError
from tailorwise.service.events import EventIn
from tailorwise.version import __version__

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
Handler = Callable[[Request], Awaitable[Response]]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tailorwise_requests",
            "HTTP requests",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tailorwise_request_seconds",
            "request latency",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.model = Gauge(
            "tailorwise_model_info",
            "the model served",
            ["model", "version"],
            registry=self.registry,
        )


def create_app(settings: ServeSettings) -> FastAPI:
    """The server's app; the store opens when it starts and closes when it stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.server = ServerState(settings)
        try:
            yield
        finally:
            app.state.server.close()

    app = FastAPI(
        title="tailorwise",
        version=__version__,
        lifespan=lifespan,
        description="Recommendations that react to each event, with a reason for every item.",
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.include_router(router)
    _add_health(app)
    _add_errors(app)
    app.middleware("http")(_measured)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, plus the event bodies that POST /events parses itself."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    found = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (EventIn, EventsIn):
        body = model.model_json_schema(ref_template="#/components/schemas/{model}")
        found.update(body.pop("$defs", {}))
        found[model.__name__] = body
    app.openapi_schema = schema
    return schema


async def _measured(request: Request, call_next: Handler) -> Response:
    """Body-size limit, then request counts and latency by route."""
    settings: ServeSettings = request.app.state.settings
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > settings.limits.max_body_bytes:
        return JSONResponse(
            {"detail": f"the body is over {settings.limits.max_body_bytes:,} bytes"}, 413
        )
    start = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    path = getattr(route, "path", "unmatched")
    metrics: Metrics = request.app.state.metrics
    metrics.requests.labels(path, request.method, str(response.status_code)).inc()
    metrics.latency.labels(path, request.method).observe(time.perf_counter() - start)
    return response


def _add_health(app: FastAPI) -> None:
    @app.get("/healthz", tags=["operations"])
    def healthz() -> Health:
        """The process is up."""
        return Health(status="ok")

    @app.get("/readyz", tags=["operations"], responses={503: {"model": Health}})
    def readyz(request: Request) -> Response:
        """Ready when a trained model is loaded."""
        state: ServerState = request.app.state.server
        if not state.ready:
            body = Health(status="not ready", detail=state.load_error)
            return JSONResponse(body.model_dump(), 503)
        live = state.live
        return JSONResponse(
            Health(status="ready", model=live.name, version=live.version).model_dump()
        )

    @app.get("/metrics", tags=["operations"])
    def metrics(request: Request) -> Response:
        """Prometheus metrics: requests, latency, the model served."""
        m: Metrics = request.app.state.metrics
        state: ServerState = request.app.state.server
        m.model.clear()
        if state.ready:
            m.model.labels(state.live.name, state.live.version).set(1)
        return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)


def _add_errors(app: FastAPI) -> None:
    def answer(status: int) -> Callable[[Request, Exception], Awaitable[Response]]:
        async def handle(request: Request, exc: Exception) -> Response:
            text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            return JSONResponse({"detail": str(text)}, status)

        return handle

    app.add_exception_handler(UnknownIdError, answer(404))
    app.add_exception_handler(InvalidRequestError, answer(422))
    app.add_exception_handler(ConfigError, answer(422))
    app.add_exception_handler(NoModelError, answer(503))
    app.add_exception_handler(StoreError, answer(503))
