"""The id of the request being served (the caller's X-Request-ID, else one made for it), which
log lines and stored returns carry so an operator can follow one API call through intake, the
worker and the decision."""

import structlog


def current_request_id() -> str:
    """The request id bound to this request or task, or "" outside one."""
    return str(structlog.contextvars.get_contextvars().get("request_id", ""))
