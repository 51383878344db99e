"""Dependencies of the routes, as `Annotated` aliases (`SessionDep`, `StoreDep`, ...)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from api.ratelimit import ClaimLimits, WriteLimiter
from api.settings import Settings
from dao.artifacts.store import ArtifactStore
from dao.chain import OpenMeritContracts, connect, load_contracts
from dao.deployments import Deployment, load_deployment


@dataclass
class AppState:
    """What the app holds for its lifetime."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: ArtifactStore
    write_limiter: WriteLimiter
    relay_lock: threading.Lock = field(default_factory=threading.Lock)
    relayed_signatures: set[str] = field(default_factory=set)

    @cached_property
    def deployment(self) -> Deployment:
        return load_deployment(self.settings.deployment)

    @cached_property
    def w3(self) -> Web3:
        return connect(self.settings.rpc_url, timeout=30.0)

    @cached_property
    def contracts(self) -> OpenMeritContracts:
        return load_contracts(self.w3, self.deployment)

    @cached_property
    def claim_limits(self) -> ClaimLimits:
        """Relayed claims sent, per account and per client (use under relay_lock)."""
        return ClaimLimits(self.settings.relay_claims_per_account, self.settings.relay_claims_per_client)


async def get_state(request: Request) -> AppState:
    # async: a plain function dependency would cost a thread hop on every request
    return request.app.state.openmerit


StateDep = Annotated[AppState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    with state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_store(state: StateDep) -> ArtifactStore:
    return state.store


StoreDep = Annotated[ArtifactStore, Depends(get_store)]


def get_deployment(state: StateDep) -> Deployment:
    try:
        return state.deployment
    except (FileNotFoundError, ValueError) as exc:
        raise HTTPException(503, f"no usable deployment manifest: {exc}") from None


DeploymentDep = Annotated[Deployment, Depends(get_deployment)]


async def limit_writes(request: Request, state: StateDep) -> None:
    """429 with Retry-After once a client has used its burst of writes."""
    client = request.client.host if request.client else "unknown"
    wait = state.write_limiter.acquire(client)
    if wait > 0:
        raise HTTPException(
            429,
            f"too many writes from {client}; retry in {wait:.1f} s",
            headers={"Retry-After": str(max(1, round(wait + 0.5)))},
        )


WriteLimit = Depends(limit_writes)


async def page_limit(state: StateDep, limit: int | None = None) -> int:
    cap = state.settings.page_size_max
    if limit is None:
        return min(state.settings.page_size_default, cap)
    if limit < 1 or limit > cap:
        raise HTTPException(422, f"limit must be between 1 and {cap}, got {limit}")
    return limit


LimitDep = Annotated[int, Depends(page_limit)]
