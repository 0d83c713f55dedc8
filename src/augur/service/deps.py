"""Dependencies every router shares: the service state and the bearer-token check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from augur.service.state import State

bearer = HTTPBearer(auto_error=False, description="AUGUR_API_TOKEN, required for /train, "
                                                  "/evaluate, /generate, /forecast and memory "
                                                  "writes when a token is configured")


def state_of(request: Request) -> State:
    return request.app.state.augur


def require_token(request: Request,
                  cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
                  ) -> None:
    token = state_of(request).cfg.token
    if token is None:
        return
    if cred is None or not hmac.compare_digest(cred.credentials.encode(), token.encode()):
        raise HTTPException(401, "this route needs 'Authorization: Bearer <token>' with the "
                                 "server's AUGUR_API_TOKEN",
                            headers={"WWW-Authenticate": "Bearer"})
