"""`workstation sync-server`: the sync API in front of central's database (Starlette on uvicorn).

    POST /v1/enrol   {"token", "public_key"}                     no signature: the one-time token is the proof
    GET  /v1/state?epoch=E                                        signed
    POST /v1/push    {"epoch", "cursor", "audit", "changes"}      signed
    GET  /v1/pull?epoch=E&after=N&limit=L                          signed
    GET  /v1/health

Every refusal is `{"error": CODE, "message": English text, "params": {...}}` with status 400 (bad input),
401 (signature, time), 403 (revoked, unknown unit, wrong origin), 409 (epoch, chain, replay); the unit's client
raises it again with the same code, so its screens translate it. Endpoints are plain functions: Starlette runs
them in its thread pool, each in its own database transaction.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, Refusal, WorkstationError
from workstation.sync import protocol
from workstation.sync.central import PULL_LIMIT, CentralSync

log = logging.getLogger(__name__)

_STATUS = {
    ErrorCode.SYNC_BAD_SIGNATURE: 401, ErrorCode.SYNC_STALE_REQUEST: 401,
    ErrorCode.SYNC_REVOKED: 403, ErrorCode.SYNC_UNKNOWN_UNIT: 403, ErrorCode.SYNC_WRONG_ORIGIN: 403,
    ErrorCode.SYNC_BAD_TOKEN: 403,
    ErrorCode.SYNC_EPOCH: 409, ErrorCode.SYNC_CHAIN_BROKEN: 409, ErrorCode.SYNC_BUNDLE_REPLAYED: 409,
}


def _error(exc: WorkstationError) -> JSONResponse:
    code = str(exc.code or "ERROR")
    known = exc.code if isinstance(exc.code, ErrorCode) else None
    status = _STATUS.get(known, 400 if isinstance(exc, InputError) else 409) if known else (
        400 if isinstance(exc, InputError) else 409)
    params = {k: v if isinstance(v, (str, int, float, bool)) or v is None else str(v) for k, v in exc.params.items()}
    return JSONResponse({"error": code, "message": exc.message, "params": params}, status_code=status)


def build_app(central: CentralSync, *, clock=time.time) -> Starlette:
    """The ASGI app over `central`. `clock` (seconds) is injectable for tests of the time window."""

    async def body_of(request: Request) -> bytes:
        size = int(request.headers.get("content-length") or 0)
        if size > protocol.MAX_BODY_BYTES:
            raise InputError(code=ErrorCode.FILE_TOO_LARGE, field="body",
                             params={"limit": f"{protocol.MAX_BODY_BYTES // (1024 * 1024)} MB"})
        data = await request.body()
        if request.headers.get("content-encoding", "").lower() == "gzip":
            data = protocol.gunzip_bounded(data, protocol.MAX_BODY_BYTES)
        if len(data) > protocol.MAX_BODY_BYTES:
            raise InputError(code=ErrorCode.FILE_TOO_LARGE, field="body",
                             params={"limit": f"{protocol.MAX_BODY_BYTES // (1024 * 1024)} MB"})
        return data

    def authenticate(request: Request, body: bytes) -> str:
        unit = request.headers.get("x-ws-unit", "")
        stamp = request.headers.get("x-ws-time", "")
        signature = request.headers.get("x-ws-signature", "")
        try:
            skew = abs(clock() - int(stamp))
        except ValueError:
            skew = protocol.MAX_SKEW_S + 1
        if skew > protocol.MAX_SKEW_S:
            raise Refusal(code=ErrorCode.SYNC_STALE_REQUEST)
        key = central.public_key(unit)  # unknown / revoked: refused here
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if not protocol.verify(key, protocol.request_message(request.method, target, stamp, unit, body), signature):
            raise Refusal(code=ErrorCode.SYNC_BAD_SIGNATURE, params={"unit": unit})
        return unit

    def _json(body: bytes) -> dict[str, Any]:
        return protocol.parse_json(body, "body")

    def _qint(request: Request, name: str, default: int | None = None) -> int:
        raw = request.query_params.get(name)
        if raw is None and default is not None:
            return default
        try:
            return int(raw or "")
        except ValueError:
            raise InputError(code=ErrorCode.NOT_WHOLE_NUMBER, field=name) from None

    async def run(request: Request, fn) -> Response:
        from starlette.concurrency import run_in_threadpool

        try:
            body = await body_of(request)
            answer = await run_in_threadpool(fn, body)
            if isinstance(answer, str):  # JSON text already (the feed, put together from stored texts)
                return Response(answer.encode("utf-8"), media_type="application/json")
            return JSONResponse(answer)
        except WorkstationError as exc:
            log.info("sync refused %s %s: %s", request.method, request.url.path, exc)
            return _error(exc)

    async def enrol(request: Request) -> Response:
        def go(body: bytes) -> dict[str, Any]:
            data = _json(body)
            return central.enrol(str(data.get("token", "")).partition(".")[0], str(data.get("token", "")),
                                 str(data.get("public_key", "")))
        return await run(request, go)

    async def state(request: Request) -> Response:
        def go(body: bytes) -> dict[str, Any]:
            unit = authenticate(request, body)
            return central.state(unit, _qint(request, "epoch"))
        return await run(request, go)

    async def push(request: Request) -> Response:
        def go(body: bytes) -> dict[str, Any]:
            unit = authenticate(request, body)
            return central.push(unit, _json(body)).as_json()
        return await run(request, go)

    async def pull(request: Request) -> Response:
        def go(body: bytes) -> str:
            unit = authenticate(request, body)
            return central.pull_text(unit, _qint(request, "epoch"), _qint(request, "after"),
                                _qint(request, "limit", PULL_LIMIT))
        return await run(request, go)

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    from starlette.middleware import Middleware
    from starlette.middleware.gzip import GZipMiddleware

    # field links are slow (256 kbit/s): answers are compressed for a client that accepts it (~9x smaller)
    return Starlette(middleware=[Middleware(GZipMiddleware, minimum_size=1024)], routes=[
        Route("/v1/enrol", enrol, methods=["POST"]),
        Route("/v1/state", state, methods=["GET"]),
        Route("/v1/push", push, methods=["POST"]),
        Route("/v1/pull", pull, methods=["GET"]),
        Route("/v1/health", health, methods=["GET"]),
    ])


def serve(central: CentralSync, host: str, port: int, *, tls_cert: str | None = None,
          tls_key: str | None = None) -> None:
    """Run the API until interrupted (uvicorn; logs go to the process's log file, not the terminal)."""
    import uvicorn

    uvicorn.run(build_app(central), host=host, port=port, ssl_certfile=tls_cert, ssl_keyfile=tls_key,
                log_config=None, access_log=False)
