"""confide's rules in Cedar: per client, the client's own-access and staff rules and one
policy per fact; the administrators' forbid is the base every client's set extends.

Cedar has no quantifier over a set of records ("some consent in force names this category"),
so each fact becomes its own policy, the usual Cedar idiom. Every time, purpose, role, action,
minimum-necessary and author check is a Cedar condition evaluated per request; Python only
spells the facts' ids and times into the text, once per client.

Each client has its own policy set, so its policies name the client outright and a request
need not: principal ``Actor``, action ``Action::"read"``/``"write"``, resource ``Category``,
context ``{at: Long (epoch seconds), purpose: String, author?: String}``. (Entity references
in the context cost cedarpy about 9 µs each to build per request; plain values cost little.)
Entities: see :mod:`bench.peers.cedar_entities`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bench.peers.base import ClientFacts, epoch
from confide.domain import (
    BreakGlassGrant,
    Category,
    Consent,
    Effect,
    ExceptionDisclosure,
    Representation,
    TreatmentRelationship,
)
from confide.domain.period import Period

SETTINGS = 'Settings::"practice"'
PSYCHOTHERAPY_NOTE = f'Category::"{Category.PSYCHOTHERAPY_NOTE.value}"'
CLINICAL = '["clinician", "supervisor"].contains(principal.role)'
READ = 'action == Action::"read"'
# Psychotherapy notes are outside the right of access (HIPAA 164.524(a)(1)(i)) unless the
# practice chooses otherwise.
NOTES_OPEN_TO_CLIENT = (
    f"(resource != {PSYCHOTHERAPY_NOTE} || {SETTINGS}.clientMayReadPsychotherapyNotes)"
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One permit, as a policy (scope in the head) or as an expression (for ``unless``)."""

    policy_id: str
    principal: str = "principal"
    action: str = "action"
    resource: str = "resource"
    when: tuple[str, ...] = ()

    def policy(self, effect: str = "permit", unless: Iterable[str] = ()) -> str:
        """The rule as a Cedar policy, optionally with an ``unless`` clause."""
        head = f"{effect} ({self.principal}, {self.action}, {self.resource})"
        text = f'@id("{self.policy_id}")\n{head}\nwhen {{ {" && ".join(self.when) or "true"} }}'
        exceptions = list(unless)
        if exceptions:
            text += "\nunless { " + "\n  || ".join(exceptions) + " }"
        return text + ";"

    def expression(self) -> str:
        """The rule's scope and conditions as one boolean expression."""
        scope = [s for s in (self.principal, self.action, self.resource) if " " in s]
        return "(" + " && ".join([*scope, *self.when]) + ")"


ADMINISTRATOR = Rule("administrator", when=('principal.role == "administrator"',))


def base_policies() -> str:
    """The rule that holds whoever the client; parsed once and extended per client."""
    return ADMINISTRATOR.policy("forbid")


def client_own_record(client_id: str) -> Rule:
    """The client reads their own record (HIPAA 164.524), psychotherapy notes aside."""
    return Rule(
        "client_own_record",
        # A client's own actor id is their client id.
        principal=f'principal == Actor::"{client_id}"',
        action=READ,
        when=('principal.role == "client"', 'context.purpose == "PATRQT"', NOTES_OPEN_TO_CLIENT),
    )


def staff_operations(client_id: str) -> Rule:
    """Front desk and billing staff of the client's practice, minimum necessary."""
    return Rule(
        "staff_operations",
        resource='resource in Group::"staff"',
        when=(
            'principal.role == "staff"',
            "principal has org",
            f'principal.org == Client::"{client_id}".org',
            'Group::"staff".purposes.contains(context.purpose)',
        ),
    )


def client_policies(facts: ClientFacts, people: frozenset[str]) -> str:
    """One client's rules and facts as policies; ``people`` tells persons from organisations."""
    client = facts.client.id
    # A refusal overrides any permission but the client's own access and the legal duties.
    not_overridable = [client_own_record(client).expression()]
    not_overridable += [disclosure(d, people).expression() for d in facts.disclosures]
    not_overridable += [break_glass(g).expression() for g in facts.break_glass]
    policies = [client_own_record(client).policy(), staff_operations(client).policy()]
    policies += [relationship(r).policy() for r in facts.relationships]
    policies += [representation(r).policy() for r in facts.representations]
    policies += [disclosure(d, people).policy() for d in facts.disclosures]
    policies += [break_glass(g).policy() for g in facts.break_glass]
    for c in facts.consents:
        if c.effect is Effect.PERMIT:
            policies.append(consent(c, people).policy())
        else:
            policies.append(consent(c, people).policy("forbid", not_overridable))
    return "\n\n".join(policies)


def relationship(rel: TreatmentRelationship) -> Rule:
    """The treating clinician; a psychotherapy note only for its author (164.508(a)(2))."""
    return Rule(
        rel.id,
        principal=f'principal == Actor::"{rel.clinician_id}"',
        when=(
            CLINICAL,
            'context.purpose == "TREAT"',
            *_during(rel.period),
            f"(resource != {PSYCHOTHERAPY_NOTE} "
            "|| (context has author && context.author == principal.actorId))",
        ),
    )


def representation(rep: Representation) -> Rule:
    """A personal representative, kept from care a minor consented to themself."""
    return Rule(
        rep.id,
        principal=f'principal == Actor::"{rep.representative_id}"',
        action=READ,
        when=(
            'principal.role == "representative"',
            '["PATRQT", "PWATRNY"].contains(context.purpose)',
            *_during(rep.period),
            NOTES_OPEN_TO_CLIENT,
            f'!("{rep.kind.value}" == "minor" '
            f"&& !{SETTINGS}.representativeSeesSelfConsentedCare "
            f'&& Client::"{rep.client_id}".selfConsented.contains(resource))',
        ),
    )


def disclosure(d: ExceptionDisclosure, people: frozenset[str]) -> Rule:
    """An approved disclosure on a legal ground, in its window, minimum necessary."""
    ground = f'Ground::"{d.ground.value}"'
    return Rule(
        d.id,
        principal=f"principal in {_recipient(d.recipient_id, people)}",
        action=READ,
        # Minimum necessary: the ground's categories are the Category entities' parents.
        resource=f"resource in {ground}",
        when=(
            "true" if d.approval is not None else "false",
            f"context.purpose == {ground}.purpose",
            *_during(d.window),
            f"resource in {_categories(d.categories)}",
            # 42 CFR 2.64: substance-use records under a court order need the court's findings.
            f'!(resource == Category::"{Category.SUBSTANCE_USE.value}" '
            f'&& "{d.ground.value}" == "court_order" '
            f"&& !{'true' if d.part2_court_findings else 'false'})",
        ),
    )


def break_glass(g: BreakGlassGrant) -> Rule:
    """Emergency access for a named clinician, capped at the practice's maximum window."""
    opened = epoch(g.opened_at)
    return Rule(
        g.id,
        principal=f'principal == Actor::"{g.clinician_id}"',
        action=READ,
        resource=f'resource in Ground::"{g.ground.value}"',
        when=(
            CLINICAL,
            'context.purpose == "BTG"',
            f"context.at >= {opened}",
            f"context.at < {epoch(g.expires_at)}",
            f"context.at < {opened} + {SETTINGS}.breakGlassMaxWindow",
        ),
    )


def consent(c: Consent, people: frozenset[str]) -> Rule:
    """A consent provision in force; a permit reaches reads by anyone but the client."""
    when = [
        f"resource in {_categories(c.categories)}",
        f"{_strings(p.value for p in c.purposes)}.contains(context.purpose)",
        *_during(c.period),
    ]
    if c.revoked_at is not None:
        when.append(f"context.at < {epoch(c.revoked_at)}")
    if c.effect is Effect.PERMIT:
        when.insert(0, 'principal.role != "client"')
    return Rule(
        c.id,
        principal=f"principal in {_recipient(c.recipient_id, people)}",
        action=READ if c.effect is Effect.PERMIT else "action",
        when=tuple(when),
    )


def _during(period: Period) -> tuple[str, ...]:
    start = f"context.at >= {epoch(period.start)}"
    return (start,) if period.end is None else (start, f"context.at < {epoch(period.end)}")


def _recipient(recipient_id: str, people: frozenset[str]) -> str:
    # "principal in Org" holds for its members; "principal in Actor" for that actor alone.
    kind = "Actor" if recipient_id in people else "Org"
    return f'{kind}::"{recipient_id}"'


def _categories(categories: Iterable[Category]) -> str:
    return "[" + ", ".join(f'Category::"{c.value}"' for c in sorted(categories)) + "]"


def _strings(values: Iterable[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in sorted(values)) + "]"
