"""The CSRF middleware's reading of a posted form (``api.middleware._read_form_token``), which
runs before any route, for every ``application/x-www-form-urlencoded`` request, signed in or not.

The bytes are the request's body, delivered in one message. Property: the middleware keeps the
form's ``csrf_token`` field (or none) and replays the body to the route unchanged; nothing
escapes (a refusal is the CSRF check's 403, made later).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import atheris

with atheris.instrument_imports(include=["confide"]):
    from confide.api.middleware import _read_form_token

from fuzz.harness import run


def _finish(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """The coroutine's result: nothing here waits on anything, so one step ends it."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("reading a form waited on something other than its body")


def test_one_input(data: bytes) -> None:
    """One form body."""
    messages = [{"type": "http.request", "body": data, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    scope: dict[str, Any] = {}
    replay = _finish(_read_form_token(scope, receive))
    message = _finish(replay())
    if message.get("body") != data:
        raise AssertionError("the route would not see the body that was sent")


if __name__ == "__main__":
    run(test_one_input)
