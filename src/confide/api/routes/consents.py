"""A client's consents: listed for the client, their clinicians and privacy officer; given,
narrowed and revoked by the client alone (the services decide who asks)."""

from __future__ import annotations

from fastapi import APIRouter, status

from confide.api.schemas import ConsentAnswer, ConsentAsk, ConsentNarrowing
from confide.api.security import Caller, Services
from confide.domain import Consent, InvalidValue, Period
from confide.domain.validation import require_id
from confide.policy.authentication import Scope
from confide.services import clients, consents
from confide.services.deps import new_id

router = APIRouter(prefix="/api/v1", tags=["consents"])


def consent_answer(c: Consent) -> ConsentAnswer:
    """A consent as the API shows it."""
    return ConsentAnswer(
        id=c.id,
        client_id=c.client_id,
        recipient_id=c.recipient_id,
        effect=c.effect,
        categories=sorted(c.categories),
        purposes=sorted(c.purposes),
        starts_at=c.period.start,
        ends_at=c.period.end,
        revoked_at=c.revoked_at,
    )


@router.get(
    "/clients/{client_id}/consents",
    responses={404: {"description": "not found, or you may not see it"}},
)
def list_consents(client_id: str, who: Caller, deps: Services) -> list[ConsentAnswer]:
    """Every consent the client gave, revoked and replaced ones too."""
    who.require(Scope.CONSENTS_READ)
    return [consent_answer(c) for c in clients.consents_of(deps, client_id, by=who.actor_id)]


@router.post("/clients/{client_id}/consents", status_code=status.HTTP_201_CREATED)
def grant(client_id: str, body: ConsentAsk, who: Caller, deps: Services) -> ConsentAnswer:
    """Give a consent (or a refusal) to one recipient, for some categories and purposes, for
    a period. Only the client may."""
    who.require(Scope.CONSENTS_WRITE)
    require_id(client_id, "client_id")
    start = body.starts_at or deps.clock.now()
    if body.ends_at is not None and body.ends_at <= start:
        # Named as the request names it (the period's own check would say "period.end").
        raise InvalidValue("ends_at", "must be after starts_at (or after now, without one)")
    consent = Consent(
        new_id("consent"),
        client_id,
        body.recipient_id,
        frozenset(body.categories),
        frozenset(body.purposes),
        Period(start, body.ends_at, name="period"),
        effect=body.effect,
    )
    return consent_answer(consents.grant_consent(deps, consent, by=who.actor_id))


@router.post("/consents/{consent_id}/revoke")
def revoke(consent_id: str, who: Caller, deps: Services) -> ConsentAnswer:
    """Revoke a consent from now on. Only the client may."""
    who.require(Scope.CONSENTS_WRITE)
    require_id(consent_id, "consent_id")
    return consent_answer(consents.revoke_consent(deps, consent_id, by=who.actor_id))


@router.post("/consents/{consent_id}/narrow")
def narrow(consent_id: str, body: ConsentNarrowing, who: Caller, deps: Services) -> ConsentAnswer:
    """Replace a consent with a narrower one (fewer categories or purposes, an earlier end)."""
    who.require(Scope.CONSENTS_WRITE)
    require_id(consent_id, "consent_id")
    if body.ends_at is not None and body.ends_at <= deps.clock.now():
        raise InvalidValue(
            "ends_at", "must be in the future; to end the consent now, revoke it instead"
        )
    new = consents.narrow_consent(
        deps,
        consent_id,
        by=who.actor_id,
        categories=None if body.categories is None else frozenset(body.categories),
        purposes=None if body.purposes is None else frozenset(body.purposes),
        end=body.ends_at,
    )
    return consent_answer(new)
