"""Signing in and out, passwords, integration tokens and accounts (decision 0014)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response, status

from confide.api.schemas import (
    EnrolmentAnswer,
    Me,
    Message,
    NewAccountAnswer,
    NewAccountAsk,
    NewTokenAnswer,
    PasswordChange,
    PasswordReset,
    PasswordSet,
    SignedInAnswer,
    SignIn,
    TokenAnswer,
    TokenAsk,
)
from confide.api.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Caller,
    Services,
    clear_session_cookie,
    set_session_cookie,
)
from confide.domain.validation import require_id
from confide.services import accounts, enrolment

router = APIRouter(prefix="/api/v1", tags=["sign-in"])

RESET_ANSWER = (
    "If that name has an account, the practice's privacy officer has been asked to reset its "
    "password and will contact its owner."
)


def _signed_in(request: Request, response: Response, signed: accounts.SignedIn) -> SignedInAnswer:
    set_session_cookie(response, signed.token)
    csrf = request.app.state.csrf.new_token()
    response.set_cookie(CSRF_COOKIE, csrf, path="/", secure=True, httponly=True, samesite="strict")
    return SignedInAnswer(
        actor_id=signed.principal.actor_id, role=signed.principal.role, csrf_token=csrf
    )


@router.post(
    "/auth/sign-in",
    responses={401: {"description": "name, password or code not accepted (never says which)"},
               429: {"description": "too many failures for this name; see Retry-After"}},
)  # fmt: skip
def sign_in(body: SignIn, request: Request, response: Response, deps: Services) -> SignedInAnswer:
    """Sign in with name, password and (for practice roles) the authenticator's code.

    Sets the session cookie (HttpOnly, Secure, SameSite=Strict) and the CSRF cookie; any
    session cookie sent along ends and is replaced (a new session at every sign-in)."""
    replacing = request.cookies.get(SESSION_COOKIE)
    signed = accounts.sign_in(deps, body.name, body.password, body.code, replacing=replacing)
    return _signed_in(request, response, signed)


@router.post("/auth/sign-out", status_code=status.HTTP_204_NO_CONTENT)
def sign_out(who: Caller, deps: Services, response: Response) -> None:
    """End this session."""
    accounts.sign_out(deps, who)
    clear_session_cookie(response)


@router.post("/auth/password")
def change_password(
    body: PasswordChange, who: Caller, deps: Services, request: Request, response: Response
) -> SignedInAnswer:
    """Change your password: every session of yours ends, and this browser gets a new one."""
    signed = accounts.change_password(deps, who, body.current_password, body.new_password)
    return _signed_in(request, response, signed)


@router.post("/auth/password-reset", status_code=status.HTTP_202_ACCEPTED)
def request_reset(body: PasswordReset, deps: Services) -> Message:
    """Ask for a password reset. The answer is the same whether or not the name exists."""
    accounts.request_password_reset(deps, body.name)
    return Message(detail=RESET_ANSWER)


@router.get("/me")
def me(who: Caller) -> Me:
    """Who you are signed in as, and what this session or token may do."""
    return Me(
        actor_id=who.actor_id,
        role=who.role,
        organisation_id=who.organisation_id,
        via="token" if who.token_id else "session",
        scopes=sorted(who.scopes),
    )


@router.post("/tokens", status_code=status.HTTP_201_CREATED, tags=["tokens"])
def issue_token(body: TokenAsk, who: Caller, deps: Services) -> NewTokenAnswer:
    """Make a token for an integration: it acts as you, within its scopes, until it expires."""
    issued = accounts.issue_token(
        deps, who, body.name, frozenset(body.scopes), timedelta(days=body.expires_in_days)
    )
    return NewTokenAnswer(
        id=issued.id,
        name=issued.name,
        scopes=sorted(issued.scopes),
        created_at=issued.created_at,
        expires_at=issued.expires_at,
        token=issued.text,
    )


@router.get("/tokens", tags=["tokens"])
def list_tokens(who: Caller, deps: Services) -> list[TokenAnswer]:
    """Your integration tokens (never their secrets)."""
    return [
        TokenAnswer(
            id=t.id,
            name=t.name,
            scopes=sorted(t.scopes),
            created_at=t.created_at,
            expires_at=t.expires_at,
            revoked_at=t.revoked_at,
        )
        for t in accounts.list_tokens(deps, who)
    ]


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["tokens"])
def revoke_token(token_id: str, who: Caller, deps: Services) -> None:
    """Revoke one of your tokens from now on."""
    require_id(token_id, "token_id")  # before it reaches a query (PostgreSQL refuses NUL)
    accounts.revoke_token(deps, who, token_id)


@router.post(
    "/accounts/{actor_id}/enrolment", status_code=status.HTTP_201_CREATED, tags=["accounts"]
)
def issue_enrolment(actor_id: str, who: Caller, deps: Services) -> EnrolmentAnswer:
    """Issue a one-time enrolment code for a person on file (their practice's privacy officer,
    never for themself). With it the person chooses their own password and authenticator
    secret at ``/enrol``; for a person with an account, it resets both. Not with a token."""
    accounts.require_session(who, "issue enrolment codes")
    require_id(actor_id, "actor_id")
    issued = enrolment.issue_enrolment(deps, actor_id, by=who.actor_id)
    return EnrolmentAnswer(
        actor_id=issued.actor_id, code=issued.code, expires_at=issued.expires_at,
        resets=issued.resets,
    )  # fmt: skip


@router.post("/accounts", status_code=status.HTTP_201_CREATED, tags=["accounts"], deprecated=True)
def create_account(body: NewAccountAsk, who: Caller, deps: Services) -> NewAccountAnswer:
    """Give a person on file an account with a password the privacy officer chooses.

    Deprecated: the officer learns both factors. Issue an enrolment code instead
    (``POST /api/v1/accounts/{actor_id}/enrolment``). The answer holds the TOTP secret, once.
    Not with a token."""
    accounts.require_session(who, "make accounts")
    made = accounts.create_account(deps, body.actor_id, body.password, by=who.actor_id)
    return NewAccountAnswer(
        actor_id=made.actor_id, totp_secret=made.totp_secret, totp_uri=made.totp_uri
    )


@router.post(
    "/accounts/{actor_id}/password",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["accounts"],
    deprecated=True,
)
def reset_password(actor_id: str, body: PasswordSet, who: Caller, deps: Services) -> None:
    """Set a person's password after they asked for a reset; every session of theirs ends.

    Deprecated: the officer learns the password; an enrolment code resets both factors with
    the person choosing them. Not with a token: no scope covers setting a password."""
    accounts.require_session(who, "set passwords")
    accounts.reset_password(deps, actor_id, body.new_password, by=who.actor_id)
