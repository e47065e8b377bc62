"""The span of each HTTP request and WebSocket (imported only when tracing is on: engine.observability.
tracing).

Our own small ASGI middleware rather than opentelemetry-instrumentation-asgi, because of what that one
records and cannot be told to leave out: the raw path (join and public-link tokens travel in it and are
as good as a password for an interview; see engine.api.access_log), the full URL with its query, the
caller's IP address and user agent (a candidate's personal data, which a tracing backend should not
collect by default). This one records the method, the route template, the path with tokens redacted,
the status, the scheme and protocol version, and our request id (`X-Request-ID`), which joins a trace
to the log lines of the same request.

The span is named `METHOD /route/{template}` once the router has matched (before that only the method
is known), which keeps span names few; a request no route matched is named by its method alone. A
`traceparent` header (W3C trace context) makes the span a child of the caller's.
"""

from __future__ import annotations

from opentelemetry import propagate
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.api.access_log import redact_path, route_template
from engine.observability.context import REQUEST_ID_HEADER

__all__ = ["UNTRACED_PATHS", "TracingMiddleware"]

# Probes and scrapes, asked every few seconds: spans of them would drown the ones that matter.
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/metrics/json"})
_REQUEST_ID = REQUEST_ID_HEADER.lower().encode("latin-1")


def _headers(scope: Scope) -> dict[str, str]:
    return {bytes(k).decode("latin-1"): bytes(v).decode("latin-1") for k, v in scope.get("headers", ())}


class TracingMiddleware:
    def __init__(self, app: ASGIApp, tracer: Tracer) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        path = scope.get("path", "")
        if kind not in ("http", "websocket") or path in UNTRACED_PATHS or path.startswith("/assets/"):
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET") if kind == "http" else "WEBSOCKET"
        attributes = {
            "http.request.method": method,
            "url.path": redact_path(path),
            "url.scheme": scope.get("scheme", "http"),
            "network.protocol.version": scope.get("http_version", "1.1"),
        }
        parent = propagate.extract(_headers(scope))
        with self.tracer.start_as_current_span(
            method, context=parent, kind=SpanKind.SERVER, attributes=attributes
        ) as span:
            status: int | None = None

            async def send_and_note(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                    for name, value in message.get("headers", ()):
                        if bytes(name).lower() == _REQUEST_ID:
                            span.set_attribute("http.request.id", bytes(value).decode("latin-1"))
                await send(message)

            try:
                await self.app(scope, receive, send_and_note)
            finally:
                route = route_template(scope)
                if route is not None:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                if status is not None:
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
