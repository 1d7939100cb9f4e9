"""A fault-injecting HTTP/1.1 reverse proxy between boto3 and the test S3 server.

SeaweedFS checks SigV4 signatures against the Host header it receives, and
boto3 signed the proxy's address, so requests go upstream with Host and every
signed header unchanged. Bodies stream through in pieces. The proxy answers
``Expect: 100-continue`` itself and opens one upstream connection per request;
client connections are kept alive.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import struct
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

from tests.faults.rules import Fault, Hit, Rule, RuleSet

__all__ = ["Exchange", "Fault", "FaultProxy", "Hit", "Rule"]

logger = logging.getLogger(__name__)

PIECE_SIZE = 64 * 1024
UPSTREAM_TIMEOUT_SECONDS = 30.0
_REQUEST_HEADERS_NOT_FORWARDED = {"expect", "connection", "keep-alive"}
_RESPONSE_HEADERS_NOT_FORWARDED = {"connection", "keep-alive"}
_S3_ERRORS = {
    Fault.SLOW_DOWN: (503, "SlowDown", "Please reduce your request rate."),
    Fault.INTERNAL_ERROR: (500, "InternalError", "We encountered an internal error."),
}


class Exchange(NamedTuple):
    """One request as the proxy saw it; status is None when nothing answered."""

    method: str
    path: str
    query: str
    status: int | None
    # The request's header names, lower-cased, as they came over the wire.
    header_names: frozenset[str] = frozenset()


class FaultProxy:
    """The proxy on a free loopback port; use as a context manager."""

    def __init__(self, upstream: str, *, seed: int = 0) -> None:
        target = urlsplit(upstream)
        self.upstream_address = (target.hostname or "127.0.0.1", target.port or 80)
        self.requests: list[Exchange] = []
        self.stopping = threading.Event()
        self.rules = RuleSet(seed)
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._lock = threading.Lock()
        self._server: _Server | None = None

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fault proxy is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FaultProxy:
        self._server = _Server(self)
        serving = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fault-proxy",
            daemon=True,
        )
        serving.start()
        return self

    def stop(self) -> None:
        """Stop accepting, end stalls, and close every client connection."""
        if self._server is None:
            return
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._server = None

        with self._lock:
            open_connections = list(self._connections.items())
        for connection, _ in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for _, thread in open_connections:
            thread.join(timeout=5)

    def add_rule(self, rule: Rule) -> None:
        self.rules.add(rule)

    def clear_rules(self) -> None:
        self.rules.clear()

    @property
    def hits(self) -> list[Hit]:
        """The faults injected so far, in order."""
        return self.rules.hits

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            self.requests.append(exchange)

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections[connection] = threading.current_thread()
            else:
                self._connections.pop(connection, None)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that give up on a faulted exchange break the pipe; expected.
        logger.debug("connection from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.proxy.track(self.connection, open_=True)

    def finish(self) -> None:
        self.server.proxy.track(self.connection, open_=False)
        super().finish()

    def relay(self) -> None:
        target = urlsplit(self.path)
        path, query = unquote(target.path), target.query
        names = frozenset(name.lower() for name in self.headers)
        self.exchange = Exchange(self.command, path, query, None, names)
        self.recorded = False
        try:
            self._serve(self.server.proxy.rules.choose(self.command, path, query))
        finally:
            if not self.recorded:
                self._record(None)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = relay

    def _record(self, status: int | None) -> None:
        """Log the exchange before the client can see its outcome."""
        self.server.proxy.record(self.exchange._replace(status=status))
        self.recorded = True

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def _serve(self, rule: Rule | None) -> None:
        if rule is None or rule.fault not in _NOT_FORWARDED:
            self._forward(rule.fault if rule else None)
            return

        self._copy_request_body(lambda piece: None)
        if rule.fault in _S3_ERRORS:
            self._send_s3_error(*_S3_ERRORS[rule.fault])
            return
        self._record(None)
        if rule.fault is Fault.STALL:
            self.server.proxy.stopping.wait(rule.stall_seconds)
            self.close_connection = True
        else:
            self._reset()

    def _copy_request_body(self, sink: Callable[[bytes], object]) -> None:
        """Pass the body on as it came, with its chunked framing if any."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._copy_chunked(sink)
        else:
            self._copy_exactly(int(self.headers.get("Content-Length", 0)), sink)

    def _copy_chunked(self, sink: Callable[[bytes], object]) -> None:
        while True:
            size_line = self.rfile.readline(1024)
            sink(size_line)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            self._copy_exactly(size + 2, sink)  # the data and its CRLF

        while True:  # trailer fields, ended by an empty line
            line = self.rfile.readline(64 * 1024)
            sink(line)
            if line in (b"\r\n", b"\n", b""):
                return

    def _copy_exactly(self, remaining: int, sink: Callable[[bytes], object]) -> None:
        while remaining > 0:
            piece = self.rfile.read(min(PIECE_SIZE, remaining))
            if not piece:
                raise ConnectionError("the client ended the request body early")
            sink(piece)
            remaining -= len(piece)

    def _forward(self, fault: Fault | None) -> None:
        upstream = http.client.HTTPConnection(
            *self.server.proxy.upstream_address, timeout=UPSTREAM_TIMEOUT_SECONDS
        )
        try:
            response = self._send_upstream(upstream)
            self._send_head(response, closing=fault in _CLOSING)
            if fault is Fault.RESET_AFTER_HEAD:
                self._reset()
            else:
                self._relay_body(response, fault)
        finally:
            upstream.close()

    def _send_upstream(
        self, upstream: http.client.HTTPConnection
    ) -> http.client.HTTPResponse:
        upstream.putrequest(
            self.command, self.path, skip_host=True, skip_accept_encoding=True
        )
        for name, value in self.headers.items():
            if name.lower() not in _REQUEST_HEADERS_NOT_FORWARDED:
                upstream.putheader(name, value)
        upstream.endheaders()

        self._copy_request_body(upstream.send)
        return upstream.getresponse()

    def _send_head(self, response: http.client.HTTPResponse, *, closing: bool) -> None:
        lines = [f"HTTP/1.1 {response.status} {response.reason}\r\n"]
        for name, value in response.getheaders():
            if name.lower() not in _RESPONSE_HEADERS_NOT_FORWARDED:
                lines.append(f"{name}: {value}\r\n")
        # Keeps a fault to its own request even when the body is empty.
        lines.append("Connection: close\r\n\r\n" if closing else "\r\n")
        self._record(response.status)
        self.wfile.write("".join(lines).encode("latin-1"))

    def _relay_body(
        self, response: http.client.HTTPResponse, fault: Fault | None
    ) -> None:
        if self.command == "HEAD" or response.status in (204, 304):
            return
        if not response.chunked and response.length is None:
            self.close_connection = True  # the body ends where the connection does

        middle = (response.length or 0) // 2
        offset = 0
        while piece := response.read1(PIECE_SIZE):
            if fault is Fault.CUT_BODY and offset + len(piece) >= middle:
                self._write_piece(piece[: middle - offset], response.chunked)
                self.close_connection = True
                return
            if fault is Fault.FLIP_BYTE and offset <= middle < offset + len(piece):
                piece = _flip_byte(piece, middle - offset)
            self._write_piece(piece, response.chunked)
            offset += len(piece)
        if response.chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _write_piece(self, piece: bytes, chunked: bool) -> None:
        if piece and chunked:
            piece = b"%x\r\n%s\r\n" % (len(piece), piece)
        self.wfile.write(piece)

    def _send_s3_error(self, status: int, code: str, message: str) -> None:
        resource = escape(self.exchange.path)
        text = _S3_ERROR_BODY.format(code=code, message=message, resource=resource)
        body = text.encode()
        self._record(status)
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _reset(self) -> None:
        """Close with SO_LINGER 0, so the client sees a reset and not an EOF."""
        self.connection.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        self.rfile.close()
        self.connection.close()
        self.close_connection = True


_CLOSING = {Fault.RESET_AFTER_HEAD, Fault.CUT_BODY}
_NOT_FORWARDED = {*_S3_ERRORS, Fault.STALL, Fault.RESET_BEFORE_RESPONSE}
_S3_ERROR_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>{code}</Code><Message>{message}</Message>"
    "<Resource>{resource}</Resource><RequestId>fault-proxy</RequestId></Error>"
)


def _flip_byte(piece: bytes, index: int) -> bytes:
    return piece[:index] + bytes([piece[index] ^ 0xFF]) + piece[index + 1 :]
