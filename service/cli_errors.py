"""How every `zkelig` command fails on something the user can fix: one line on stderr saying what
happened and what to do, and an exit code (2 unless the command documents another), never a traceback."""

from __future__ import annotations

import typer

USAGE = 2  # bad input, unreachable service or database, refused by the service


class Refused(Exception):
    """Something the user can fix; the message says what happened and what to do."""


def fail(message: str, code: int = USAGE):
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def connection_problem(url: str, err: Exception) -> str | None:
    """The one-line message for an httpx failure to reach `url`, or None if `err` is something else."""
    import httpx

    malformed = isinstance(err, httpx.UnsupportedProtocol | httpx.InvalidURL)
    if malformed or (isinstance(err, ValueError) and "URL" in str(err)):
        return f"{url!r} is not a service URL: give one like http://127.0.0.1:8000 (--url or ZKELIG_URL)"
    if isinstance(err, httpx.ConnectError):
        return f"cannot connect to {url}: is `zkelig serve` running there? (--url or ZKELIG_URL)"
    if isinstance(err, httpx.TimeoutException):
        return f"{url} did not answer in time: check the service and the network, then retry"
    if isinstance(err, httpx.HTTPError):
        return f"talking to {url} failed ({type(err).__name__}): check the URL and that the service is healthy"
    return None
