"""Refusals: a request the bot answers with an explanation instead of doing it.

Each carries the template that explains it, so the wording stays in templates/ and the
plugins only have to render whatever refusal reaches them."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    def __init__(self, template: str, **context: Any):
        super().__init__(template)
        self.template = template
        self.context = context


class BadInput(Refused):
    """The message itself is malformed: wrong argument, unknown word, bad number."""


class NotRegistered(Refused):
    def __init__(self) -> None:
        super().__init__("errors/not_registered.j2")
