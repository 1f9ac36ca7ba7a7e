"""A confide consent as a FHIR R4 Consent, and the terms both sides share.

One confide consent is one Consent with a single root provision:

==============================  =============================================================
FHIR (Consent.…)                confide (Consent.…)
==============================  =============================================================
id, identifier                  id (``urn:confide:consent``)
status                          status_at(now): active (or not yet started) → ``active``;
                                expired or revoked → ``inactive``
patient, performer              client_id (``Patient/<id>``)
provision.type                  effect (``permit`` / ``deny``)
provision.actor (role IRCP)     recipient_id (identifier ``urn:confide:actor``)
provision.purpose               purposes (v3-ActReason PurposeOfUse)
provision.class                 categories (confide's category code system)
provision.securityLabel         categories psychotherapy_note (PSYTHPN), substance_use (ETH),
                                beside class when that is the only category
provision.period                period (start; end exclusive)
extension consent-revoked-at    revoked_at
scope, category, policyRule     fixed: patient-privacy, LOINC 59284-0, OPTIN
==============================  =============================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.consent import Consent as FhirConsent
from fhir.resources.R4B.consent import ConsentProvision, ConsentProvisionActor
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.period import Period as FhirPeriod
from fhir.resources.R4B.reference import Reference

from confide.api.fhir.codes import (
    ACT_CODE_SYSTEM,
    CATEGORY_SYSTEM,
    CONFIDE_ACTOR_SYSTEM,
    CONSENT_ID_SYSTEM,
    CONSENT_SCOPE_SYSTEM,
    HL7_PURPOSE_OF_USE_SYSTEM,
    LOINC_SYSTEM,
    OPT_IN,
    PARTICIPATION_TYPE_SYSTEM,
    PATIENT_CONSENT,
    PRIVACY_SCOPE,
    PURPOSE_DISPLAY,
    RECIPIENT_ROLE,
    REVOKED_AT_URL,
    SENSITIVITY,
    fhir_id_for,
)
from confide.domain import Category, Consent, ConsentStatus, Effect, Purpose

ACTIVE = "active"
INACTIVE = "inactive"
REVOKING = frozenset({"inactive", "rejected"})


@dataclass(frozen=True, slots=True)
class Terms:
    """What a consent says, as both a FHIR Consent and a confide consent can say it."""

    client_id: str
    recipient_id: str
    categories: frozenset[Category]
    purposes: frozenset[Purpose]
    start: datetime | None  # None: from when it is recorded
    end: datetime | None
    effect: Effect


def terms_of(c: Consent) -> Terms:
    """The terms of a stored consent."""
    return Terms(
        c.client_id,
        c.recipient_id,
        c.categories,
        c.purposes,
        c.period.start,
        c.period.end,
        c.effect,
    )


# Which FHIR element carries each term, to name the one a change touches.
TERM_ELEMENTS = (
    ("client_id", "Consent.patient"),
    ("recipient_id", "Consent.provision.actor"),
    ("categories", "Consent.provision.class"),
    ("purposes", "Consent.provision.purpose"),
    ("start", "Consent.provision.period.start"),
    ("end", "Consent.provision.period.end"),
    ("effect", "Consent.provision.type"),
)


def first_difference(asked: Terms, stored: Terms) -> str | None:
    """The FHIR element where ``asked`` differs from ``stored``, or None if they agree (a
    missing start agrees with any: it means "as recorded")."""
    for name, element in TERM_ELEMENTS:
        mine, theirs = getattr(asked, name), getattr(stored, name)
        if name == "start" and mine is None:
            continue
        if mine != theirs:
            return element
    return None


def fhir_status(c: Consent, now: datetime) -> str:
    """``active`` while the consent applies or is still to start; ``inactive`` once it has
    ended or was revoked."""
    status = c.status_at(now)
    if status in (ConsentStatus.ACTIVE, ConsentStatus.NOT_YET_ACTIVE):
        return ACTIVE
    return INACTIVE


def consent_resource(c: Consent, now: datetime) -> FhirConsent:
    """The consent as a FHIR Consent, its status as of ``now``."""
    patient = Reference(reference=f"Patient/{c.client_id}")
    revoked = (
        None
        if c.revoked_at is None
        else [Extension(url=REVOKED_AT_URL, valueDateTime=c.revoked_at)]
    )
    return FhirConsent(
        id=fhir_id_for(c.id),
        extension=revoked,
        identifier=[Identifier(system=CONSENT_ID_SYSTEM, value=c.id)],
        status=fhir_status(c, now),
        scope=_concept(CONSENT_SCOPE_SYSTEM, PRIVACY_SCOPE),
        category=[_concept(LOINC_SYSTEM, PATIENT_CONSENT)],
        patient=patient,
        performer=[patient],
        policyRule=_concept(ACT_CODE_SYSTEM, OPT_IN),
        provision=_provision(c),
    )


def _provision(c: Consent) -> ConsentProvision:
    # "class" is a Python keyword: the model takes it by its FHIR name.
    classes: dict[str, Any] = {
        "class": [
            Coding(system=CATEGORY_SYSTEM, code=k.value, display=k.label)
            for k in sorted(c.categories, key=lambda k: k.sensitivity)
        ]
    }
    # A label only beside the one category it labels: FHIR reads class and securityLabel
    # together as "all of", so a label beside other categories would narrow them to its own.
    labels = [
        Coding(system=ACT_CODE_SYSTEM, code=code, display=display)
        for category, (code, display) in SENSITIVITY.items()
        if c.categories == {category}
    ]
    return ConsentProvision(
        type=c.effect.value,
        period=FhirPeriod(start=c.period.start, end=c.period.end),
        actor=[
            ConsentProvisionActor(
                role=_concept(PARTICIPATION_TYPE_SYSTEM, RECIPIENT_ROLE),
                reference=Reference(
                    identifier=Identifier(system=CONFIDE_ACTOR_SYSTEM, value=c.recipient_id)
                ),
            )
        ],
        purpose=[
            Coding(system=HL7_PURPOSE_OF_USE_SYSTEM, code=p.value, display=PURPOSE_DISPLAY[p])
            for p in sorted(c.purposes)
        ],
        securityLabel=labels or None,
        **classes,
    )


def _concept(system: str, code: tuple[str, str]) -> CodeableConcept:
    return CodeableConcept(coding=[Coding(system=system, code=code[0], display=code[1])])
