"""The unit's HTTP transport to `workstation sync-server` (httpx): every request signed with the unit's key
(workstation.sync.protocol); a refusal comes back as the same Refusal the server raised, so the CLI and the
screens say it in the user's language; an unreachable server is SYNC_UNREACHABLE (nothing lost: the outbox
keeps everything)."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from workstation.domain.errors import ErrorCode
from workstation.errors import InputError, Refusal
from workstation.sync import protocol

TIMEOUT_S = 60.0


class HttpTransport:
    def __init__(self, base_url: str, *, unit: str | None = None, key=None, verify: Any = True,
                 client: httpx.Client | None = None):
        self.base_url = base_url.rstrip("/")
        self.unit = unit
        self.key = key
        self._client = client or httpx.Client(timeout=TIMEOUT_S, verify=verify)

    def close(self) -> None:
        self._client.close()

    def _send(self, method: str, path: str, query: dict[str, int] | None = None,
              body: dict[str, Any] | str | None = None, *, signed: bool = True) -> dict[str, Any]:
        target = path + (f"?{urlencode(query)}" if query else "")
        if isinstance(body, str):  # JSON text already (a push put together from stored texts)
            data = body.encode("utf-8")
        else:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8") if body is not None else b""
        headers = {"content-type": "application/json"}
        if signed:
            stamp = str(int(time.time()))
            headers |= {"x-ws-unit": self.unit or "", "x-ws-time": stamp,
                        "x-ws-signature": protocol.sign(self.key, protocol.request_message(
                            method, target, stamp, self.unit or "", data))}
        content = data
        if len(data) >= 1024:  # field links are slow: the body travels compressed (signed as it is, uncompressed)
            import gzip

            content = gzip.compress(data, compresslevel=6)
            headers["content-encoding"] = "gzip"
        try:
            resp = self._client.request(method, self.base_url + target, content=content, headers=headers)
        except httpx.HTTPError as exc:
            raise Refusal(code=ErrorCode.SYNC_UNREACHABLE,
                          params={"url": self.base_url, "reason": str(exc)[:200] or type(exc).__name__}) from None
        try:
            answer = resp.json()
        except ValueError:
            answer = None
        if resp.status_code >= 400:
            if isinstance(answer, dict) and answer.get("error"):
                params = answer.get("params") if isinstance(answer.get("params"), dict) else {}
                cls = InputError if resp.status_code == 400 else Refusal
                raise cls(str(answer.get("message", "")) or None, code=str(answer["error"]), params=params)
            raise Refusal(code=ErrorCode.SYNC_SERVER_REFUSED, params={"reason": f"HTTP {resp.status_code}"})
        if not isinstance(answer, dict):
            raise Refusal(code=ErrorCode.SYNC_SERVER_REFUSED, params={"reason": "the answer is not JSON"})
        return answer

    def enrol(self, token: str, public_key: str) -> dict[str, Any]:
        return self._send("POST", "/v1/enrol", body={"token": token, "public_key": public_key}, signed=False)

    def state(self, epoch: int) -> dict[str, Any]:
        return self._send("GET", "/v1/state", {"epoch": epoch})

    def push(self, body: dict[str, Any] | str) -> dict[str, Any]:
        return self._send("POST", "/v1/push", body=body)

    def pull(self, epoch: int, after: int, limit: int) -> dict[str, Any]:
        return self._send("GET", "/v1/pull", {"epoch": epoch, "after": after, "limit": limit})


class LocalTransport:
    """Central in the same process (tests, the demo): the same operations without HTTP."""

    def __init__(self, central, unit: str | None = None):
        self.central = central
        self.unit = unit

    def enrol(self, token: str, public_key: str) -> dict[str, Any]:
        self.unit = token.partition(".")[0].upper()
        return self.central.enrol(self.unit, token, public_key)

    def state(self, epoch: int) -> dict[str, Any]:
        return self.central.state(self.unit, epoch)

    def push(self, body: dict[str, Any] | str) -> dict[str, Any]:
        # through JSON, as over the wire: nothing may rely on Python objects surviving the trip
        text = body if isinstance(body, str) else json.dumps(body)
        return self.central.push(self.unit, json.loads(text)).as_json()

    def pull(self, epoch: int, after: int, limit: int) -> dict[str, Any]:
        return json.loads(self.central.pull_text(self.unit, epoch, after, limit))  # the text the server sends
