"""OVHcloud's credentials, as the configuration holds them: without python-ovh (whose import, with
requests', is most of the command line's start), which only the client needs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OvhCredentials:
    """Secrets are left out of repr(): a debug line or a traceback never shows them."""

    endpoint: str  # a python-ovh endpoint name (ovh-eu...) or an http(s) URL ending in /1.0
    application_key: str | None = None
    application_secret: str | None = field(default=None, repr=False)
    consumer_key: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
