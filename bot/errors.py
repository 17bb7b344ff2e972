"""Refusals: a request the bot answers with an explanation instead of doing it.

A refusal carries a stable code and the facts its explanation needs. The code is what
an HTTP client sees (`{"error": code}`) and names the template that explains it in
words: "joint.not_allowed" is templates/joint/not_allowed.j2, a code without a dot such
as "buyer_id_missing" is templates/errors/buyer_id_missing.j2. The subclass says what
kind of refusal it is, which the HTTP layer turns into a status; the core never knows
about either chat or HTTP."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    def __init__(self, code: str, **context: Any):
        super().__init__(code)
        self.code = code
        self.context = context

    @property
    def template(self) -> str:
        return template_for(self.code)


def template_for(code: str) -> str:
    folder, dot, name = code.partition(".")
    return f"{folder}/{name}.j2" if dot else f"errors/{code}.j2"


class BadInput(Refused):
    """The message itself is malformed: wrong argument, unknown word, bad number, a file
    the bot cannot read."""


class NotAllowed(Refused):
    """The sender may not do this (not registered, not a member, not a moderator)."""


class NotFound(Refused):
    """What the request names does not exist (or, where existence is private, is not
    the sender's: the same answer either way)."""


class Conflict(Refused):
    """The request clashes with the current state: already done, already taken."""


class Limited(Refused):
    """A quota or rate limit: the request is fine, but not now or not this much."""


class NotRegistered(NotAllowed):
    def __init__(self) -> None:
        super().__init__("not_registered")


class TooLarge(Refused):
    """A request body over its limit, refused before it is read."""


class LengthRequired(Refused):
    """A request body that does not say its size: it cannot be refused before reading."""


class Misconfigured(Refused):
    """The deployment itself is not as it should be (the wrong fingerprint key for the
    database, a backup that does not fit): the process refuses to start or to go on,
    and says what happened and how to put it right."""
