"""The code systems the facade speaks.

The HL7 purpose-of-use displays, the sensitivity labels of the specially protected categories
and confide's own code systems are the ones the FHIR exports already use
(``services.history_export`` and ``services.disclosure_fhir``), imported rather than copied so a
Consent, an AuditEvent and a disclosure package always label a category the same way.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from types import MappingProxyType

from confide.domain import Category, Purpose
from confide.domain.codes import HL7_PURPOSE_OF_USE_SYSTEM
from confide.services.disclosure_fhir import CATEGORY_SYSTEM
from confide.services.history_export import _PURPOSE_DISPLAY as PURPOSE_DISPLAY
from confide.services.history_export import _SENSITIVITY as SENSITIVITY
from confide.services.history_export import (
    ACT_CODE_SYSTEM,
    CONFIDE_ACTOR_SYSTEM,
)

__all__ = [
    "ACT_CODE_SYSTEM",
    "CATEGORY_SYSTEM",
    "CONFIDE_ACTOR_SYSTEM",
    "HL7_PURPOSE_OF_USE_SYSTEM",
    "PURPOSE_DISPLAY",
    "SENSITIVITY",
]

FHIR_VERSION = "4.0.1"  # what the facade declares; built and checked with the R4B models
FHIR_JSON = "application/fhir+json"

CONSENT_SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
PRIVACY_SCOPE = ("patient-privacy", "Privacy Consent")
CONSENT_ACTION_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentaction"
PARTICIPATION_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
RECIPIENT_ROLE = ("IRCP", "information recipient")
LOINC_SYSTEM = "http://loinc.org"
PATIENT_CONSENT = ("59284-0", "Patient Consent")
# confide's base policy: nothing leaves the treating relationship without the client's consent.
OPT_IN = ("OPTIN", "opt-in")
CONSENT_ID_SYSTEM = "urn:confide:consent"
REVOKED_AT_URL = "urn:confide:fhir:StructureDefinition:consent-revoked-at"

# v3-ParticipationType codes that name who receives the information.
RECIPIENT_ROLES = frozenset({"IRCP", "PRCP"})
# consentaction codes that mean "see the record": what a confide consent is about.
READING_ACTIONS = frozenset({"access", "use", "disclose"})
# FHIR resource types a recipient reference may name; the service checks it is on file.
RECIPIENT_TYPES = frozenset({"Organization", "Practitioner", "RelatedPerson"})

SENSITIVITY_CATEGORY: Mapping[str, Category] = MappingProxyType(
    {code: category for category, (code, _display) in SENSITIVITY.items()}
)
CATEGORY_CODES: Mapping[str, Category] = MappingProxyType({c.value: c for c in Category})
PURPOSE_CODES: Mapping[str, Purpose] = MappingProxyType({p.value: p for p in Purpose})

# A FHIR logical id (R4 datatype ``id``); confide's ids also allow ``_`` and ``:``.
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def is_fhir_id(value: str) -> bool:
    """True if ``value`` may be a FHIR resource's logical id."""
    return FHIR_ID.fullmatch(value) is not None


_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:confide:fhir-id")


def fhir_id_for(confide_id: str) -> str:
    """The FHIR id of a confide id: itself when FHIR allows it, else a UUIDv5 of it (the
    confide id then travels as the resource's identifier)."""
    return confide_id if is_fhir_id(confide_id) else str(uuid.uuid5(_IDS, confide_id))
