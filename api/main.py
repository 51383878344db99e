"""The FastAPI app factory: `create_app(settings)`.

On start the schema is brought to the latest migration; with `run_indexer` set the indexer runs
in a thread of this process and stops with it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.db import make_engine, session_factory, upgrade_schema
from api.deps import AppState
from api.ratelimit import WriteLimiter
from api.routes import (
    artifacts,
    contributions,
    contributors,
    epochs,
    governance,
    health,
    projects,
    relay,
)
from api.settings import Settings
from dao.artifacts.config import open_artifact_store
from dao.artifacts.store import ArtifactStore
from dao.logs import configure_logging

log = logging.getLogger("api.http")

DESCRIPTION = """Read OpenMerit's chain state as indexed from the deployment's contracts: projects,
commit-reveal contributions with their scores and bonds, each project's epoch clock and epochs,
contributors, funded epochs (named by project and epoch), allocations and claim proofs, proposals
and votes. Upload artifacts and relay EIP-712-signed commits and reveals.

Amounts are decimal strings of token base units (18 decimals). Lists are keyset-paginated: pass
`next_page_token` back as `page_token`."""


class AccessLog:
    """Pure ASGI middleware: one structured line per request (cheaper than BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


class SmallBodyLimit:
    """Pure ASGI middleware: bodies of the given paths are read (at most `limit` bytes) before the
    app sees them, and a larger one is answered 413 in JSON without parsing it. For small JSON
    bodies only; uploads check their own, larger limit while streaming."""

    def __init__(self, app: ASGIApp, limits: dict[str, int]) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limits.get(scope.get("path", "")) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        too_large = declared is not None and (not declared.isdigit() or int(declared) > limit)
        body, more = bytearray(), not too_large
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
            too_large = len(body) > limit
            if too_large:
                break
        if too_large:
            response = JSONResponse(
                {"detail": f"the request body is over the {limit}-byte limit of {scope['path']}"}, status_code=413
            )
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def create_app(
    settings: Settings | None = None, *, store: ArtifactStore | None = None, configure_logs: bool = True
) -> FastAPI:
    settings = settings or Settings()
    if configure_logs:
        configure_logging("api", "dao", json_lines=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        upgrade_schema(engine)
        state = AppState(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            store=store or open_artifact_store(settings.artifacts),
            write_limiter=WriteLimiter(settings.write_rate_limit),
        )
        app.state.openmerit = state
        stop = threading.Event()
        worker = None
        if settings.run_indexer:
            from api.indexer import Indexer

            indexer = Indexer(
                state.w3,
                state.deployment,
                state.sessions,
                state.store,
                max_range=settings.index_max_range,
                confirmations=settings.index_confirmations,
            )
            worker = threading.Thread(
                target=indexer.follow,
                args=(stop,),
                kwargs={"poll_seconds": settings.index_poll_seconds},
                daemon=True,
                name="openmerit-indexer",
            )
            worker.start()
        try:
            yield
        finally:
            stop.set()
            if worker is not None:
                worker.join(timeout=30)
            engine.dispose()

    app = FastAPI(title="OpenMerit API", version="1", description=DESCRIPTION, lifespan=lifespan)
    app.add_middleware(SmallBodyLimit, limits=dict.fromkeys(relay.RELAY_PATHS, relay.RELAY_BODY_LIMIT))
    app.add_middleware(AccessLog)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ()))
            problems.append({"field": where, "message": error.get("msg", "invalid")})
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return JSONResponse({"detail": summary, "errors": problems}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Every error is JSON with a `detail`, including Starlette's own (404 route, 413 body limit).
        detail = exc.detail
        if exc.status_code == 413 and detail == "Content Too Large":
            detail = f"the request body is over the limit of {request.url.path}"
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    for module in (health, projects, contributions, contributors, epochs, governance, artifacts, relay):
        app.include_router(module.router)
    return app
