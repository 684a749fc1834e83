"""URL text as lockgate shows and records it."""

from __future__ import annotations


def without_credentials(url: str) -> str:
    """``url`` without the ``user:password@`` before its host; anything that is not a
    ``scheme://`` URL comes back as it is. Credentials must never reach a lockfile or a message."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme}://{host.rpartition('@')[2]}{slash}{path}"


def comparable(url: str) -> str:
    """``url`` as two spellings of one location compare equal: no credentials, scheme and host
    in lower case."""
    scheme, separator, rest = without_credentials(url).partition("://")
    if not separator:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"
