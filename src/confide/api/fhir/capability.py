"""The CapabilityStatement: exactly the interactions and search parameters the facade serves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.capabilitystatement import (
    CapabilityStatement,
    CapabilityStatementImplementation,
    CapabilityStatementRest,
    CapabilityStatementRestResource,
    CapabilityStatementRestResourceInteraction,
    CapabilityStatementRestResourceSearchParam,
    CapabilityStatementRestSecurity,
    CapabilityStatementSoftware,
)

from confide import __version__
from confide.api.fhir.codes import FHIR_JSON, FHIR_VERSION
from confide.api.fhir.params import MAX_COUNT

RELEASED = datetime(2026, 1, 1, tzinfo=UTC)  # when this statement last changed
SPEC = "http://hl7.org/fhir/SearchParameter"

SECURITY = (
    "Send an integration token from POST /api/v1/tokens as 'Authorization: Bearer cft_…' (or "
    "the signed-in session cookie with its CSRF header). Reading Consent and Patient needs the "
    "scope consents.read, AuditEvent history.read, creating or revoking a Consent "
    "consents.write. What you may see is decided per client, as in the rest of the API; a "
    "resource you may not see is answered exactly like one that does not exist."
)
SEARCHING = (
    f"Searches take only the parameters listed for each type, plus _count (at most "
    f"{MAX_COUNT}; 50 by default) and the _offset (and _snapshot) of the paging links. "
    "Anything else (_has, chained parameters, modifiers, _include, _revinclude, _sort, "
    "_summary, …) is refused with a 400 OperationOutcome naming it."
)
CONSENT_DOC = (
    "A client's consents toward one recipient each. Create: POST with status active, "
    "provision.type permit or deny, one provision.actor (Organization/, Practitioner/ or "
    "RelatedPerson/ id, or a urn:confide:actor identifier), provision.purpose (v3-ActReason), "
    "record categories in provision.class (urn:confide:fhir:CodeSystem:category) or "
    "provision.securityLabel (v3-ActCode PSYTHPN, ETH), and provision.period. Only the client "
    "may create one. Update: only to revoke, PUT the Consent unchanged but for status "
    "inactive (or rejected); to change a consent, revoke it and create a new one. Read by id: "
    "the client's own consents; others search by patient."
)


def capability_statement(base: str) -> CapabilityStatement:
    """The statement for a facade served at ``base`` (``https://host/fhir``)."""
    return CapabilityStatement(
        status="active",
        date=RELEASED,
        kind="instance",
        name="ConfideFhirFacade",
        title="confide FHIR R4 facade",
        publisher="confide",
        software=CapabilityStatementSoftware(name="confide", version=__version__),
        implementation=CapabilityStatementImplementation(
            description="confide: consents, access history and clients, as FHIR R4", url=base
        ),
        fhirVersion=FHIR_VERSION,
        format=[FHIR_JSON, "json"],
        rest=[
            CapabilityStatementRest(
                mode="server",
                documentation=SEARCHING,
                security=CapabilityStatementRestSecurity(cors=False, description=SECURITY),
                resource=[_consent(), _audit_event(), _patient()],
            )
        ],
    )


# What no resource here supports: versions, history, update-as-create, conditional interactions.
_NOTHING_CONDITIONAL: dict[str, Any] = {
    "versioning": "no-version",
    "readHistory": False,
    "updateCreate": False,
    "conditionalCreate": False,
    "conditionalRead": "not-supported",
    "conditionalUpdate": False,
    "conditionalDelete": "not-supported",
}


def _consent() -> CapabilityStatementRestResource:
    return CapabilityStatementRestResource(
        type="Consent",
        documentation=CONSENT_DOC,
        interaction=_interactions("read", "search-type", "create", "update"),
        **_NOTHING_CONDITIONAL,
        referencePolicy=["literal", "logical"],
        searchParam=[
            _param("patient", "clinical-patient", "reference", "Patient/<id> or <id>; required"),
            _param("_id", "Resource-id", "token", "the Consent's id"),
        ],
    )


def _audit_event() -> CapabilityStatementRestResource:
    return CapabilityStatementRestResource(
        type="AuditEvent",
        documentation=(
            "Every access to a client's record, allowed or refused, newest first, for the "
            "client and their practice's privacy officer."
        ),
        interaction=_interactions("search-type"),
        **_NOTHING_CONDITIONAL,
        searchParam=[
            _param("patient", "AuditEvent-patient", "reference", "Patient/<id> or <id>; required"),
            _param(
                "date",
                "AuditEvent-date",
                "date",
                "prefixes eq (default), ge, gt, le, lt; give it up to twice for a range",
            ),
        ],
    )


def _patient() -> CapabilityStatementRestResource:
    return CapabilityStatementRestResource(
        type="Patient",
        documentation=(
            "Who the client is as far as their own people may see: the id and the managing "
            "organisation; nothing clinical."
        ),
        interaction=_interactions("read"),
        **_NOTHING_CONDITIONAL,
    )


def _interactions(*codes: str) -> list[CapabilityStatementRestResourceInteraction]:
    return [CapabilityStatementRestResourceInteraction(code=c) for c in codes]


def _param(
    name: str, definition: str, kind: str, documentation: str
) -> CapabilityStatementRestResourceSearchParam:
    return CapabilityStatementRestResourceSearchParam(
        name=name, definition=f"{SPEC}/{definition}", type=kind, documentation=documentation
    )
