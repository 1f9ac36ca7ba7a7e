"""The code systems confide reasons with: record categories, purposes of use, roles, grounds.

Codes are :class:`enum.StrEnum` members so they travel as plain strings at the edges (JSON, SQL,
FHIR) and as checked values in the core.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """A category of the record, in rising order of sensitivity (design §2)."""

    DEMOGRAPHICS = "demographics"
    # The fact of being in therapy is itself confidential.
    APPOINTMENTS = "appointments"
    BILLING = "billing"
    ASSESSMENT = "assessment"
    DIAGNOSIS = "diagnosis"
    TREATMENT_PLAN = "treatment_plan"
    MEDICATION = "medication"
    PROGRESS_NOTE = "progress_note"
    RISK_ASSESSMENT = "risk_assessment"
    # 42 CFR Part 2: needs a consent that names it; every disclosure carries the notice (2.32).
    SUBSTANCE_USE = "substance_use"
    # HIPAA 164.501 / 164.508(a)(2): kept apart; released only under an authorization naming them.
    PSYCHOTHERAPY_NOTE = "psychotherapy_note"

    @property
    def label(self) -> str:
        """The category in plain words, for reasons a client reads."""
        return _CATEGORY_LABELS[self]

    @property
    def sensitivity(self) -> int:
        """Rank in the design's order: 0 is the least sensitive."""
        return _CATEGORY_ORDER[self]


_CATEGORY_ORDER = {c: i for i, c in enumerate(Category)}
_CATEGORY_LABELS = {
    Category.DEMOGRAPHICS: "contact and identity details",
    Category.APPOINTMENTS: "appointments",
    Category.BILLING: "billing",
    Category.ASSESSMENT: "assessments",
    Category.DIAGNOSIS: "diagnoses",
    Category.TREATMENT_PLAN: "treatment plan",
    Category.MEDICATION: "medication",
    Category.PROGRESS_NOTE: "progress notes",
    Category.RISK_ASSESSMENT: "risk assessments",
    Category.SUBSTANCE_USE: "substance-use records",
    Category.PSYCHOTHERAPY_NOTE: "psychotherapy notes",
}

ALL_CATEGORIES: frozenset[Category] = frozenset(Category)

# Categories no general consent can carry: each needs its own, specific authorization.
SPECIALLY_PROTECTED: frozenset[Category] = frozenset(
    {Category.PSYCHOTHERAPY_NOTE, Category.SUBSTANCE_USE}
)


class Purpose(StrEnum):
    """Purpose of use, as HL7 v3 ActReason PurposeOfUse codes."""

    TREAT = "TREAT"
    ETREAT = "ETREAT"
    BTG = "BTG"
    COC = "COC"
    HPAYMT = "HPAYMT"
    HOPERAT = "HOPERAT"
    PATRQT = "PATRQT"
    FAMRQT = "FAMRQT"
    PWATRNY = "PWATRNY"
    HLEGAL = "HLEGAL"
    PUBHLTH = "PUBHLTH"
    THREAT = "THREAT"

    @property
    def label(self) -> str:
        """The purpose in plain words."""
        return _PURPOSE_LABELS[self]


HL7_PURPOSE_OF_USE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason"

_PURPOSE_LABELS = {
    Purpose.TREAT: "treatment",
    Purpose.ETREAT: "emergency treatment",
    Purpose.BTG: "emergency access (break-the-glass)",
    Purpose.COC: "coordination of care",
    Purpose.HPAYMT: "payment",
    Purpose.HOPERAT: "running the practice",
    Purpose.PATRQT: "the client's own request",
    Purpose.FAMRQT: "a family member's request",
    Purpose.PWATRNY: "a personal representative acting for the client",
    Purpose.HLEGAL: "a legal proceeding",
    Purpose.PUBHLTH: "a report required by law",
    Purpose.THREAT: "preventing a serious threat to someone's safety",
}


class Role(StrEnum):
    """What an actor is in the practice (design §1)."""

    CLIENT = "client"
    CLINICIAN = "clinician"
    SUPERVISOR = "supervisor"
    PRIVACY_OFFICER = "privacy_officer"
    STAFF = "staff"
    ADMINISTRATOR = "administrator"
    REPRESENTATIVE = "representative"
    RECIPIENT = "recipient"


CLINICAL_ROLES: frozenset[Role] = frozenset({Role.CLINICIAN, Role.SUPERVISOR})


class Action(StrEnum):
    """What an access request wants to do with the record."""

    READ = "read"
    WRITE = "write"


class Effect(StrEnum):
    """Permit or deny: of a decision, and of a consent provision."""

    PERMIT = "permit"
    DENY = "deny"


class ExceptionGround(StrEnum):
    """The limits of confidentiality: the legal grounds to disclose without consent."""

    IMMINENT_RISK_SELF = "imminent_risk_self"
    IMMINENT_RISK_OTHERS = "imminent_risk_others"
    ABUSE_NEGLECT = "abuse_neglect"
    COURT_ORDER = "court_order"

    @property
    def label(self) -> str:
        """The ground in plain words."""
        return _GROUND_LABELS[self]


_GROUND_LABELS = {
    ExceptionGround.IMMINENT_RISK_SELF: "an imminent risk of serious harm to the client",
    ExceptionGround.IMMINENT_RISK_OTHERS: "an imminent risk of serious harm to another person",
    ExceptionGround.ABUSE_NEGLECT: "a report of suspected abuse or neglect required by law",
    ExceptionGround.COURT_ORDER: "a court order",
}

EMERGENCY_GROUNDS: frozenset[ExceptionGround] = frozenset(
    {ExceptionGround.IMMINENT_RISK_SELF, ExceptionGround.IMMINENT_RISK_OTHERS}
)


class VictimKind(StrEnum):
    """Who is thought to be abused or neglected, for an ``abuse_neglect`` report."""

    CHILD = "child"
    ELDER = "elder"
    DEPENDENT_ADULT = "dependent_adult"


class RepresentationKind(StrEnum):
    """Why a personal representative acts for a client (HIPAA 164.502(g))."""

    MINOR = "minor"
    INCAPACITATED_ADULT = "incapacitated_adult"
