"""A small HTTP server on 127.0.0.1 in front of the moto server, for what moto cannot do.

moto does not enforce IAM, throttle, expire tokens, or put NAT gateways in `pending`. This
server stands where AWS would: it forwards each request to moto unchanged, except that it can
answer chosen operations with a real AWS error document (AccessDenied, ExpiredToken,
RequestLimitExceeded, HTTP 500), or rewrite moto's answer to one operation. boto3 is not
patched: the collector talks HTTP to this server exactly as it would to AWS.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

EC2_VERSION = "2016-11-15"


def error_body(version: str, code: str, message: str) -> bytes:
    """An AWS error document: EC2's shape, or the query protocol's (ELBv2, STS)."""
    if version == EC2_VERSION:
        return (
            f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{code}</Code>"
            f"<Message>{message}</Message></Error></Errors><RequestID>r-1</RequestID></Response>"
        ).encode()
    return (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}"
        f"</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
    ).encode()


class AwsProxy:
    """Forward to ``upstream``; ``errors[action] = (status, code)`` answers with an error
    (``"*"`` for every action; code ``"denied"`` is each service's own access-denied code),
    ``fail_first[action] = n`` applies that error to the first n calls only,
    ``rewrite[action] = fn(body) -> body`` edits moto's answer, ``raw[action] = (status,
    body)`` answers with any bytes."""

    def __init__(self, upstream: str | None = None):
        self.upstream = upstream
        self.errors: dict[str, tuple[int, str]] = {}
        self.rewrite: dict[str, Callable[[bytes], bytes]] = {}
        self.raw: dict[str, tuple[int, bytes]] = {}
        self.fail_first: dict[str, int] = {}
        self.calls: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                form = parse_qs(body.decode())
                action = form.get("Action", [""])[0]
                version = form.get("Version", [""])[0]
                proxy.calls.append(action)
                if action in proxy.raw:
                    status, data = proxy.raw[action]
                    return self._send(status, data, "text/html")
                err = proxy.errors.get(action) or proxy.errors.get("*")
                if err and action in proxy.fail_first:
                    if proxy.calls.count(action) > proxy.fail_first[action]:
                        err = None
                if err:
                    status, code = err
                    if code == "denied":
                        code = "UnauthorizedOperation" if version == EC2_VERSION else "AccessDenied"
                    msg = (
                        f"You are not authorized to perform: {action}"
                        if "Unauthorized" in code or "Denied" in code
                        else f"{code} for {action}"
                    )
                    return self._send(status, error_body(version, code, msg), "text/xml")
                status, data, ctype = proxy._forward(self.path, body, dict(self.headers))
                if action in proxy.rewrite:
                    data = proxy.rewrite[action](data)
                self._send(status, data, ctype)

            def _send(self, status: int, data: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _forward(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
        assert self.upstream, "no upstream to forward to"
        keep = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")}
        req = urllib.request.Request(self.upstream + path, data=body, headers=keep, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read(), r.headers.get("Content-Type", "text/xml")
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers.get("Content-Type", "text/xml")

    def __enter__(self) -> AwsProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
