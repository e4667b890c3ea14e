"""Field units working offline and their sync with central (issue #14).

- `db/changes.py` (below this package): the change log written by the one write path, and applying a row;
- `central.py`: the unit registry, enrolment, push / pull / state, bundles, conflicts, unit audit chains;
- `unit.py`: the unit's push-then-pull, status, bundles, failpoints;
- `protocol.py`: signing (Ed25519) of requests and bundles; `client.py`: the HTTP transport (httpx);
  `server.py`: the API (Starlette on uvicorn); `service.py`: what the screens call.
"""
