"""Who may change the practice: one row per rule of ``confide.policy.administration``."""

from __future__ import annotations

import pytest

from confide.domain import Actor, Role
from confide.policy.administration import (
    AdminAction,
    AdminDecision,
    AdminRequest,
    AdminRule,
    authorise,
)

HOME, OTHER = "org-home", "org-other"
OFFICER = Actor("po-1", Role.PRIVACY_OFFICER, HOME)
ADMIN = Actor("admin-1", Role.ADMINISTRATOR, HOME)
SUPERVISOR = Actor("sup-1", Role.SUPERVISOR, HOME)
CLINICIAN = Actor("clin-1", Role.CLINICIAN, HOME)
STAFF = Actor("staff-1", Role.STAFF, HOME)
OTHER_OFFICER = Actor("po-2", Role.PRIVACY_OFFICER, OTHER)
OTHER_CLINICIAN = Actor("clin-2", Role.CLINICIAN, OTHER)
CLIENT = Actor("client-1", Role.CLIENT)
OTHER_CLIENT = Actor("client-2", Role.CLIENT)
REPRESENTATIVE = Actor("rep-1", Role.REPRESENTATIVE)


def permit(rule: AdminRule) -> AdminDecision:
    return AdminDecision(True, rule)


def deny(rule: AdminRule) -> AdminDecision:
    return AdminDecision(False, rule)


A = AdminAction
R = AdminRule

CASES = [
    # Organisations: administrators and privacy officers only.
    (AdminRequest(A.ADD_ORGANISATION, OFFICER), permit(R.PRACTICE_ADMINISTRATOR)),
    (AdminRequest(A.ADD_ORGANISATION, ADMIN), permit(R.PRACTICE_ADMINISTRATOR)),
    (AdminRequest(A.ADD_ORGANISATION, CLINICIAN), deny(R.DENY_ROLE)),
    (AdminRequest(A.ADD_ORGANISATION, CLIENT), deny(R.DENY_ROLE)),
    (AdminRequest(A.ADD_ORGANISATION, None), deny(R.DENY_UNKNOWN_ACTOR)),
    # People.
    (AdminRequest(A.ADD_PERSON, ADMIN, subject=CLINICIAN), permit(R.PRACTICE_ADMINISTRATOR)),
    (AdminRequest(A.ADD_PERSON, OFFICER, subject=STAFF), permit(R.PRIVACY_OFFICER)),
    (AdminRequest(A.ADD_PERSON, OFFICER, subject=ADMIN), permit(R.PRIVACY_OFFICER)),
    (AdminRequest(A.ADD_PERSON, OFFICER, subject=REPRESENTATIVE), permit(R.PRIVACY_OFFICER)),
    (
        AdminRequest(A.ADD_PERSON, ADMIN, subject=OFFICER),
        deny(R.DENY_ONLY_PRIVACY_OFFICER_APPOINTS),
    ),
    (AdminRequest(A.ADD_PERSON, ADMIN, subject=ADMIN), deny(R.DENY_ONLY_PRIVACY_OFFICER_APPOINTS)),
    # Another organisation's clinician may be put on file (a consent recipient) ...
    (AdminRequest(A.ADD_PERSON, OFFICER, subject=OTHER_CLINICIAN), permit(R.PRIVACY_OFFICER)),
    # ... but never someone who would act on that organisation's records.
    (AdminRequest(A.ADD_PERSON, OFFICER, subject=OTHER_OFFICER), deny(R.DENY_OTHER_ORGANISATION)),
    (
        AdminRequest(A.ADD_PERSON, OFFICER, subject=Actor("sup-9", Role.SUPERVISOR, OTHER)),
        deny(R.DENY_OTHER_ORGANISATION),
    ),
    (
        AdminRequest(A.ADD_PERSON, ADMIN, subject=Actor("staff-9", Role.STAFF, OTHER)),
        deny(R.DENY_OTHER_ORGANISATION),
    ),
    (AdminRequest(A.ADD_PERSON, OFFICER, subject=CLIENT), deny(R.DENY_CLIENTS_ARE_ADMITTED)),
    (AdminRequest(A.ADD_PERSON, OFFICER, subject=None), deny(R.DENY_UNKNOWN_SUBJECT)),
    (AdminRequest(A.ADD_PERSON, CLINICIAN, subject=STAFF), deny(R.DENY_ROLE)),
    (AdminRequest(A.ADD_PERSON, SUPERVISOR, subject=CLINICIAN), deny(R.DENY_ROLE)),
    # Admitting clients: the practice's own staff.
    *[
        (
            AdminRequest(A.ADMIT_CLIENT, who, organisation_id=HOME, client_id="client-9"),
            permit(R.PRACTICE_STAFF),
        )
        for who in (OFFICER, ADMIN, SUPERVISOR, CLINICIAN, STAFF)
    ],
    (
        AdminRequest(A.ADMIT_CLIENT, OTHER_OFFICER, organisation_id=HOME),
        deny(R.DENY_OTHER_ORGANISATION),
    ),
    (AdminRequest(A.ADMIT_CLIENT, CLIENT, organisation_id=HOME), deny(R.DENY_OTHER_ORGANISATION)),
    (
        AdminRequest(A.ADMIT_CLIENT, REPRESENTATIVE, organisation_id=None),
        deny(R.DENY_UNKNOWN_SUBJECT),
    ),
    # Treatment relationships: assigned, never self-assigned, to the practice's clinicians.
    (
        AdminRequest(A.ASSIGN_CLINICIAN, SUPERVISOR, organisation_id=HOME, subject=CLINICIAN),
        permit(R.PRACTICE_STAFF),
    ),
    (
        AdminRequest(A.ASSIGN_CLINICIAN, OFFICER, organisation_id=HOME, subject=SUPERVISOR),
        permit(R.PRIVACY_OFFICER),
    ),
    (
        AdminRequest(A.ASSIGN_CLINICIAN, ADMIN, organisation_id=HOME, subject=CLINICIAN),
        permit(R.PRACTICE_ADMINISTRATOR),
    ),
    (
        AdminRequest(A.ASSIGN_CLINICIAN, CLINICIAN, organisation_id=HOME, subject=CLINICIAN),
        deny(R.DENY_ROLE),
    ),
    (
        AdminRequest(A.ASSIGN_CLINICIAN, SUPERVISOR, organisation_id=HOME, subject=SUPERVISOR),
        deny(R.DENY_SELF_ASSIGNMENT),
    ),
    (
        AdminRequest(A.ASSIGN_CLINICIAN, SUPERVISOR, organisation_id=HOME, subject=OTHER_CLINICIAN),
        deny(R.DENY_NOT_A_CLINICIAN_OF_THE_PRACTICE),
    ),
    (
        AdminRequest(A.ASSIGN_CLINICIAN, SUPERVISOR, organisation_id=HOME, subject=STAFF),
        deny(R.DENY_NOT_A_CLINICIAN_OF_THE_PRACTICE),
    ),
    (
        AdminRequest(A.ASSIGN_CLINICIAN, SUPERVISOR, organisation_id=HOME, subject=None),
        deny(R.DENY_UNKNOWN_SUBJECT),
    ),
    (
        AdminRequest(A.ASSIGN_CLINICIAN, OTHER_OFFICER, organisation_id=HOME, subject=CLINICIAN),
        deny(R.DENY_OTHER_ORGANISATION),
    ),
    (
        AdminRequest(A.ASSIGN_CLINICIAN, SUPERVISOR, organisation_id=None, subject=CLINICIAN),
        deny(R.DENY_UNKNOWN_SUBJECT),
    ),
    # The notice: the privacy officer.
    (AdminRequest(A.PUBLISH_NOTICE, OFFICER, organisation_id=HOME), permit(R.PRIVACY_OFFICER)),
    (AdminRequest(A.PUBLISH_NOTICE, ADMIN, organisation_id=HOME), deny(R.DENY_ROLE)),
    (AdminRequest(A.PUBLISH_NOTICE, CLIENT, organisation_id=None), deny(R.DENY_UNKNOWN_SUBJECT)),
    # Acknowledgments: the client, or the practice's staff from a signed form.
    (
        AdminRequest(A.RECORD_ACKNOWLEDGMENT, CLIENT, organisation_id=HOME, client_id="client-1"),
        permit(R.CLIENT_ACKNOWLEDGES),
    ),
    (
        AdminRequest(
            A.RECORD_ACKNOWLEDGMENT, OTHER_CLIENT, organisation_id=HOME, client_id="client-1"
        ),
        deny(R.DENY_ROLE),
    ),
    (
        AdminRequest(A.RECORD_ACKNOWLEDGMENT, STAFF, organisation_id=HOME, client_id="client-1"),
        permit(R.STAFF_RECORDS_SIGNED_FORM),
    ),
    (
        AdminRequest(
            A.RECORD_ACKNOWLEDGMENT, OTHER_CLINICIAN, organisation_id=HOME, client_id="client-1"
        ),
        deny(R.DENY_OTHER_ORGANISATION),
    ),
    (
        AdminRequest(A.RECORD_ACKNOWLEDGMENT, REPRESENTATIVE, organisation_id=HOME),
        deny(R.DENY_OTHER_ORGANISATION),
    ),
    # Erasure: the privacy officer of the client's practice.
    (AdminRequest(A.ERASE_CLIENT, OFFICER, organisation_id=HOME), permit(R.PRIVACY_OFFICER)),
    (AdminRequest(A.ERASE_CLIENT, ADMIN, organisation_id=HOME), deny(R.DENY_ROLE)),
    (AdminRequest(A.ERASE_CLIENT, CLINICIAN, organisation_id=HOME), deny(R.DENY_ROLE)),
    (
        AdminRequest(A.ERASE_CLIENT, OTHER_OFFICER, organisation_id=HOME),
        deny(R.DENY_OTHER_ORGANISATION),
    ),
    (AdminRequest(A.ERASE_CLIENT, CLIENT, organisation_id=HOME), deny(R.DENY_OTHER_ORGANISATION)),
]


@pytest.mark.parametrize(("request_", "expected"), CASES)
def test_each_administrative_rule(request_: AdminRequest, expected: AdminDecision) -> None:
    assert authorise(request_) == expected


def test_every_rule_is_exercised_by_the_table() -> None:
    decided = {expected.rule for _, expected in CASES}
    assert decided == set(AdminRule)


@pytest.mark.parametrize("action", list(AdminAction))
def test_nobody_unknown_may_change_anything(action: AdminAction) -> None:
    assert authorise(AdminRequest(action, None, organisation_id=HOME)) == deny(R.DENY_UNKNOWN_ACTOR)
