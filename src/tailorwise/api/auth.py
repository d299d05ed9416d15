"""API keys with scopes, from an ``Authorization: Bearer`` header."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request

from tailorwise.api.settings import Scope, ServeSettings


def check_scope(request: Request, scope: Scope) -> None:
    """Let the request through when its key holds ``scope`` (or, for reads, when anonymous
    reads are allowed); else 401 (no or unknown key) or 403 (a key without the scope)."""
    settings: ServeSettings = request.app.state.settings
    header = request.headers.get("authorization", "")
    kind, _, token = header.partition(" ")
    if not header:
        if scope == Scope.read and settings.allow_anonymous:
            return
        raise HTTPException(
            401,
            "an API key is needed: send 'Authorization: Bearer KEY' (keys come from "
            "TAILORWISE_API_KEYS; anonymous reads need --allow-anonymous)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    scopes = _scopes_of(settings, token.strip()) if kind.lower() == "bearer" else None
    if scopes is None:
        raise HTTPException(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})
    if scope not in scopes:
        raise HTTPException(403, f"this API key has no '{scope}' scope")


def _scopes_of(settings: ServeSettings, token: str) -> frozenset[Scope] | None:
    for key, scopes in settings.keys.items():
        if hmac.compare_digest(key.encode(), token.encode()):  # no timing hint at the key
            return scopes
    return None


def read_scope(request: Request) -> None:
    check_scope(request, Scope.read)


def write_scope(request: Request) -> None:
    check_scope(request, Scope.write)
