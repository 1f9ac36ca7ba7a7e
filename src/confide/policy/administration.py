"""Who may change the practice itself: organisations, people, clients, treatment relationships,
the notice, acknowledgments and erasure.

These changes decide who can later read a record (a treatment relationship is a ground for
access), so they are authorised like reads: deny by default, one named rule per outcome, and
the outcome logged by the caller whether permitted or refused. Pure: no clock, no database.

The rules (decision 0010):

* organisations and people are put on file by the practice's administrators and privacy
  officers; into another organisation only as a clinician (someone a client may consent to share
  with), since supervisors, staff, administrators and privacy officers act on that organisation's
  records; only a privacy officer appoints another privacy officer or administrator (the people
  who approve disclosures);
* clients are admitted by the practice's own staff;
* a treatment relationship is assigned by an administrator, privacy officer or supervisor of the
  client's practice, to a clinician of that practice, and never by the clinician to themselves:
  a relationship opens the record (HIPAA 164.506(c)), so nobody grants it to themselves, as no
  approver approves their own disclosure;
* the notice is published by the privacy officer (HIPAA 164.520 and 164.530(a): the privacy
  official is responsible for the notice);
* an acknowledgment is given by the client, or recorded from a signed form by the practice's
  staff (HIPAA 164.520(c)(2)(ii));
* a client's data key is destroyed only by the privacy officer of their practice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from confide.domain import Actor, Role


class AdminAction(StrEnum):
    """A change to the practice."""

    ADD_ORGANISATION = "add_organisation"
    ADD_PERSON = "add_person"
    ADMIT_CLIENT = "create_client"
    ASSIGN_CLINICIAN = "add_relationship"
    PUBLISH_NOTICE = "publish_notice"
    RECORD_ACKNOWLEDGMENT = "acknowledge_notice"
    ERASE_CLIENT = "erase_client"


class AdminRule(StrEnum):
    """The rule that decided an administrative change; logged with it."""

    PRACTICE_ADMINISTRATOR = "admin.practice_administrator"
    PRIVACY_OFFICER = "admin.privacy_officer"
    PRACTICE_STAFF = "admin.practice_staff"
    CLIENT_ACKNOWLEDGES = "admin.client_acknowledges"
    STAFF_RECORDS_SIGNED_FORM = "admin.staff_records_signed_form"
    DENY_UNKNOWN_ACTOR = "deny.admin.unknown_actor"
    DENY_ROLE = "deny.admin.role"
    DENY_OTHER_ORGANISATION = "deny.admin.other_organisation"
    DENY_ONLY_PRIVACY_OFFICER_APPOINTS = "deny.admin.only_privacy_officer_appoints"
    DENY_CLIENTS_ARE_ADMITTED = "deny.admin.clients_are_admitted"
    DENY_SELF_ASSIGNMENT = "deny.admin.self_assignment"
    DENY_NOT_A_CLINICIAN_OF_THE_PRACTICE = "deny.admin.not_a_clinician_of_the_practice"
    DENY_UNKNOWN_SUBJECT = "deny.admin.unknown_subject"


ADMINISTRATORS = frozenset({Role.ADMINISTRATOR, Role.PRIVACY_OFFICER})
PRACTICE_STAFF = frozenset(
    {Role.ADMINISTRATOR, Role.PRIVACY_OFFICER, Role.STAFF, Role.CLINICIAN, Role.SUPERVISOR}
)
ASSIGNERS = frozenset({Role.ADMINISTRATOR, Role.PRIVACY_OFFICER, Role.SUPERVISOR})
APPOINTED_BY_PRIVACY_OFFICER = frozenset({Role.ADMINISTRATOR, Role.PRIVACY_OFFICER})
CLINICAL = frozenset({Role.CLINICIAN, Role.SUPERVISOR})


@dataclass(frozen=True, slots=True)
class AdminRequest:
    """Who asks for which change, about which organisation and person.

    ``organisation_id`` is the organisation the change touches (the new person's, the client's);
    None when it is not on file. ``subject`` is the person the change gives a role or a
    relationship to (the new person, the assigned clinician), or None when not on file.
    """

    action: AdminAction
    actor: Actor | None
    organisation_id: str | None = None
    subject: Actor | None = None
    client_id: str | None = None


class AdminDecision(NamedTuple):
    """Permitted or not, and the rule that said so."""

    permitted: bool
    rule: AdminRule


def _permit(rule: AdminRule) -> AdminDecision:
    return AdminDecision(True, rule)


def _deny(rule: AdminRule) -> AdminDecision:
    return AdminDecision(False, rule)


def authorise(request: AdminRequest) -> AdminDecision:  # noqa: PLR0911 - one return per rule
    """Decide an administrative change. Deny by default."""
    actor = request.actor
    if actor is None:
        return _deny(AdminRule.DENY_UNKNOWN_ACTOR)
    action = request.action
    if action is AdminAction.ADD_ORGANISATION:
        return _by_role(actor, ADMINISTRATORS, AdminRule.PRACTICE_ADMINISTRATOR)
    if action is AdminAction.ADD_PERSON:
        return _add_person(actor, request.subject)
    if action is AdminAction.RECORD_ACKNOWLEDGMENT and actor.role is Role.CLIENT:
        if request.client_id is not None and actor.id == request.client_id:
            return _permit(AdminRule.CLIENT_ACKNOWLEDGES)
        return _deny(AdminRule.DENY_ROLE)
    if request.organisation_id is None:
        return _deny(AdminRule.DENY_UNKNOWN_SUBJECT)
    if actor.organisation_id != request.organisation_id:
        return _deny(AdminRule.DENY_OTHER_ORGANISATION)
    if action is AdminAction.ADMIT_CLIENT:
        return _by_role(actor, PRACTICE_STAFF, AdminRule.PRACTICE_STAFF)
    if action is AdminAction.RECORD_ACKNOWLEDGMENT:
        return _by_role(actor, PRACTICE_STAFF, AdminRule.STAFF_RECORDS_SIGNED_FORM)
    if action is AdminAction.ASSIGN_CLINICIAN:
        return _assign(actor, request)
    if action is AdminAction.PUBLISH_NOTICE or action is AdminAction.ERASE_CLIENT:
        return _by_role(actor, frozenset({Role.PRIVACY_OFFICER}), AdminRule.PRIVACY_OFFICER)
    return _deny(AdminRule.DENY_ROLE)  # pragma: no cover - every action is handled above


def _by_role(actor: Actor, roles: frozenset[Role], rule: AdminRule) -> AdminDecision:
    return _permit(rule) if actor.role in roles else _deny(AdminRule.DENY_ROLE)


def _add_person(actor: Actor, subject: Actor | None) -> AdminDecision:
    if actor.role not in ADMINISTRATORS:
        return _deny(AdminRule.DENY_ROLE)
    if subject is None:
        return _deny(AdminRule.DENY_UNKNOWN_SUBJECT)
    if subject.role is Role.CLIENT:
        return _deny(AdminRule.DENY_CLIENTS_ARE_ADMITTED)
    inside_roles = PRACTICE_STAFF - {Role.CLINICIAN}
    if subject.role in inside_roles and subject.organisation_id != actor.organisation_id:
        return _deny(AdminRule.DENY_OTHER_ORGANISATION)
    if subject.role in APPOINTED_BY_PRIVACY_OFFICER and actor.role is not Role.PRIVACY_OFFICER:
        return _deny(AdminRule.DENY_ONLY_PRIVACY_OFFICER_APPOINTS)
    return _permit(
        AdminRule.PRIVACY_OFFICER
        if actor.role is Role.PRIVACY_OFFICER
        else AdminRule.PRACTICE_ADMINISTRATOR
    )


def _assign(actor: Actor, request: AdminRequest) -> AdminDecision:
    if actor.role not in ASSIGNERS:
        return _deny(AdminRule.DENY_ROLE)
    clinician = request.subject
    if clinician is None:
        return _deny(AdminRule.DENY_UNKNOWN_SUBJECT)
    if clinician.id == actor.id:
        return _deny(AdminRule.DENY_SELF_ASSIGNMENT)
    if clinician.role not in CLINICAL or clinician.organisation_id != request.organisation_id:
        return _deny(AdminRule.DENY_NOT_A_CLINICIAN_OF_THE_PRACTICE)
    rule = {
        Role.ADMINISTRATOR: AdminRule.PRACTICE_ADMINISTRATOR,
        Role.PRIVACY_OFFICER: AdminRule.PRIVACY_OFFICER,
    }.get(actor.role, AdminRule.PRACTICE_STAFF)
    return _permit(rule)
