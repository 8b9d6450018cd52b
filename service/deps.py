"""The request dependencies on the service's state, as `Annotated` aliases for handler signatures:

    def handler(state: State) -> …         the worker's state as it is
    def handler(state: FreshState) -> …    the same after catching up with the other workers' entries

Handlers list `state` after their other dependencies (keyword-only, `*, state: FreshState`, where
parameters with defaults come first): FastAPI resolves dependencies in order, so a request is
authenticated before it costs a catch-up.

The only place that knows where the state hangs on the application (`attach`, `state_of`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from .state import ServiceState


def attach(app: FastAPI, state: ServiceState) -> None:
    app.state.zk = state


def state_of(app: FastAPI) -> ServiceState:
    """The state of an application built by `create_app` (for code that runs outside a request)."""
    return app.state.zk


async def get_state(request: Request) -> ServiceState:
    # Dependencies are async so that FastAPI does not hop to a worker thread for each of them.
    return state_of(request.app)


State = Annotated[ServiceState, Depends(get_state)]


def fresh_state(state: State) -> ServiceState:
    """The state after catching up with what other workers committed: for every answer that
    depends on the ledger. Each worker is a replica; without this, a credential issued through one
    worker is unknown to the next, and heads, entries and proofs disagree across responses.

    Sync on purpose: the catch-up is a database read, which belongs in the thread pool."""
    state.ledger.refresh()
    return state


FreshState = Annotated[ServiceState, Depends(fresh_state)]
