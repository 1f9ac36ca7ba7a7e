"""What a decision knows about the request once, before it looks at each category."""

from __future__ import annotations

from typing import NamedTuple

from confide.domain.access import AccessRequest
from confide.domain.actors import Actor, Client
from confide.domain.codes import Category, Role
from confide.domain.consent import Consent
from confide.policy.facts import Facts
from confide.policy.settings import PolicySettings


class DecisionContext(NamedTuple):
    """The request, the known actor and client, and the keys the actor is known by."""

    request: AccessRequest
    actor: Actor
    client: Client
    facts: Facts
    settings: PolicySettings
    # A consent or disclosure may name the person or their organisation.
    recipient_keys: tuple[str, ...]
    # The subset of those keys that one of the client's deny provisions names.
    forbidden_keys: tuple[str, ...]
    # True for staff, whose grants through an organisation stop at non-clinical categories.
    staff_limited: bool


def context_of(
    request: AccessRequest, actor: Actor, client: Client, facts: Facts, settings: PolicySettings
) -> DecisionContext:
    """Build the context; the actor is known by their id and their organisation's id."""
    org = actor.organisation_id
    keys = (actor.id,) if org is None else (actor.id, org)
    named = facts.forbidden_recipients.get(request.client_id)
    forbidden = () if named is None else tuple(k for k in keys if k in named)
    staff = actor.role is Role.STAFF
    return DecisionContext(request, actor, client, facts, settings, keys, forbidden, staff)


def forbidding_consent(ctx: DecisionContext, category: Category) -> Consent | None:
    """The client's deny provision in force that covers this category for this actor, if any."""
    forbids = ctx.facts.forbids
    request = ctx.request
    for key in ctx.forbidden_keys:
        for consent in forbids.get((request.client_id, key, category, request.purpose), ()):
            if consent.in_force_at(request.at):
                return consent
    return None
