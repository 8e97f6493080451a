"""Logins for an exposed chat, read from the settings (kept apart from app.py: no Gradio import)."""

from __future__ import annotations

from pathlib import Path

from chatbot.settings import Settings


class ServeError(ValueError):
    """A serving option the user got wrong; the message says how to fix it."""


def auth_pairs(settings: Settings) -> list[tuple[str, str]] | None:
    """Return the (user, password) logins from the settings, or None when the chat is open.

    Raises ServeError for a malformed login or an unreadable password file.
    """
    lines: list[str] = []
    if settings.auth:
        lines.append(settings.auth.get_secret_value())
    if settings.auth_file:
        try:
            lines += [ln.strip() for ln in Path(settings.auth_file).read_text(encoding="utf-8").splitlines()]
        except OSError as exc:
            raise ServeError(f"Cannot read the password file {settings.auth_file} ({exc.strerror}).") from exc
    pairs = []
    for line in filter(None, lines):
        user, sep, password = line.partition(":")
        if not sep or not user or not password:
            raise ServeError("Give logins as USER:PASSWORD (one a line in a password file).")
        pairs.append((user, password))
    return pairs or None
