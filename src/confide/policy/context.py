"""What a decision knows about the request once, before it looks at each category."""

from __future__ import annotations

from typing import NamedTuple

from confide.domain.access import AccessRequest
from confide.domain.actors import Actor, Client
from confide.domain.codes import Category
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


def context_of(
    request: AccessRequest, actor: Actor, client: Client, facts: Facts, settings: PolicySettings
) -> DecisionContext:
    """Build the context; the actor is known by their id and their organisation's id."""
    org = actor.organisation_id
    keys = (actor.id,) if org is None else (actor.id, org)
    return DecisionContext(request, actor, client, facts, settings, keys)


def forbidding_consent(ctx: DecisionContext, category: Category) -> Consent | None:
    """The client's deny provision in force that covers this category for this actor, if any."""
    forbids = ctx.facts.forbids
    if not forbids:
        return None
    request = ctx.request
    for key in ctx.recipient_keys:
        for consent in forbids.get((request.client_id, key, category, request.purpose), ()):
            if consent.in_force_at(request.at):
                return consent
    return None
