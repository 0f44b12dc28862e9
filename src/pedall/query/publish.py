"""Put graphs into a triple store: an HTTP PUT of a named graph to any SPARQL 1.1 Graph
Store Protocol endpoint (Oxigraph ``/store``, Apache Jena Fuseki ``/ds/data``).

The protocol (https://www.w3.org/TR/sparql11-http-rdf-update/, section 5.3 "HTTP PUT")
replaces the named graph ``?graph=IRI`` with the request body. Credentials come from the
environment only (``PEDALL_STORE_USER`` / ``PEDALL_STORE_PASSWORD``, HTTP basic auth),
never from the command line, where other users of the machine could read them.
httpx is imported when a graph is put, so importing this module stays light.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from pedall.errors import PedallError

USER_VARIABLE = "PEDALL_STORE_USER"
PASSWORD_VARIABLE = "PEDALL_STORE_PASSWORD"
# Loading the closure into a store that indexes as it goes can take a while.
TIMEOUT_SECONDS = 120.0
# Graph Store Protocol bodies pedall sends, by the short format name.
PUBLISH_MEDIA_TYPES = {"nt": "application/n-triples", "ttl": "text/turtle"}


class PublishError(PedallError, RuntimeError):
    """The store could not be reached or refused the graph (the message says which)."""


@dataclass(frozen=True)
class StoreCredentials:
    """HTTP basic-auth credentials for the store."""

    user: str
    password: str

    def __repr__(self) -> str:  # never print the password
        return f"StoreCredentials(user={self.user!r}, password=***)"


def credentials_from_environment(
    environment: Mapping[str, str] | None = None,
) -> StoreCredentials | None:
    """The store credentials of ``PEDALL_STORE_USER`` / ``PEDALL_STORE_PASSWORD``, or None
    when no user is set.

    >>> credentials_from_environment({"PEDALL_STORE_USER": "admin"})
    StoreCredentials(user='admin', password=***)
    >>> credentials_from_environment({}) is None
    True
    """
    env = os.environ if environment is None else environment
    user = env.get(USER_VARIABLE)
    if not user:
        return None
    return StoreCredentials(user, env.get(PASSWORD_VARIABLE, ""))


@dataclass(frozen=True)
class PutResult:
    """What the store answered to one PUT."""

    graph: str
    status: int
    triples: int


def put_graph(
    store: str,
    graph: str,
    body: bytes,
    media_type: str,
    *,
    triples: int,
    credentials: StoreCredentials | None = None,
) -> PutResult:
    """Replace the named graph ``graph`` of the Graph Store Protocol endpoint ``store``
    with ``body`` (of ``media_type``); PublishError when the store cannot be reached or
    answers anything but 2xx."""
    import httpx

    auth = None if credentials is None else httpx.BasicAuth(credentials.user, credentials.password)
    try:
        response = httpx.put(
            store,
            params={"graph": graph},
            content=body,
            headers={"Content-Type": f"{media_type}; charset=utf-8"},
            auth=auth,
            timeout=TIMEOUT_SECONDS,
        )
    except httpx.InvalidURL as error:
        raise PublishError(f"--store {store!r}: not a usable URL ({error})") from error
    except httpx.HTTPError as error:
        raise PublishError(f"cannot reach the store at {store}: {error}") from error
    if not response.is_success:
        detail = response.text.strip().splitlines()[0][:300] if response.text.strip() else ""
        hint = (
            " (set PEDALL_STORE_USER / PEDALL_STORE_PASSWORD)"
            if response.status_code in (401, 403)
            else ""
        )
        raise PublishError(
            f"the store at {store} refused graph <{graph}>: HTTP {response.status_code} "
            f"{response.reason_phrase}{hint}" + (f": {detail}" if detail else "")
        )
    return PutResult(graph, response.status_code, triples)
