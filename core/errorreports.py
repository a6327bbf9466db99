"""Error reports to Sentry (or a compatible server such as GlitchTip) when ``SENTRY_DSN`` is set.

Readers are the public: no addresses, e-mails, cookies or request bodies leave the library
(``send_default_pii`` off, and the request data the SDK would send is cut down below). What an
operator needs to find the matching log lines is the request id, which every report carries as a
tag, whether it came from a web node or from a Celery task that the request enqueued.
"""

from __future__ import annotations

from typing import Any

from core.requestid import current as current_request_id


def _scrub(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    event.setdefault("tags", {})["request_id"] = current_request_id.get() or "-"
    request = event.get("request")
    if isinstance(request, dict):
        # Address and method stay (they say which page failed); no query, body, cookies or
        # headers, which may carry tokens (tokened feeds, tus upload ids) or readers' input.
        for field in ("query_string", "data", "cookies", "headers", "env"):
            request.pop(field, None)
    event.pop("user", None)
    return event


def init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        send_default_pii=False,
        # A frame's local variables hold the request, form input and passwords being checked.
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=_scrub,
        before_send_transaction=_scrub,
    )
