"""The FHIR R4 facade's routes: Consent (read, search, create, revoke), AuditEvent (search),
Patient (read) and the CapabilityStatement.

Each route checks the token's scope and its parameters, then asks the same services as the
rest of the API, which decide who may see or change what and log it. Errors are answered as
OperationOutcome resources (``api.errors``); a resource you may not see is answered exactly like
one that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response, status
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.reference import Reference

from confide.api.fhir.answers import answers
from confide.api.fhir.audit_map import DateWindow, audit_events, matching
from confide.api.fhir.bundles import FhirResponse, base_url, resource_response, searchset
from confide.api.fhir.capability import capability_statement
from confide.api.fhir.codes import FHIR_JSON, fhir_id_for, is_fhir_id
from confide.api.fhir.consent_intake import (
    fhir_fields,
    new_consent,
    parse_consent,
    read_terms,
    status_of,
)
from confide.api.fhir.consent_map import (
    ACTIVE,
    REVOKING,
    Terms,
    consent_resource,
    fhir_status,
    first_difference,
    terms_of,
)
from confide.api.fhir.params import Unsupported, parse_search, patient_of, whole_number
from confide.api.security import Caller, Services
from confide.domain import Consent, InvalidValue, Role
from confide.policy.authentication import Scope
from confide.services import clients, consents, history
from confide.services.accounts import Principal
from confide.services.deps import Deps, new_id
from confide.services.errors import NotFoundOrDenied

router = APIRouter(prefix="/fhir", tags=["fhir"], default_response_class=FhirResponse)

CONSENT_SEARCH: Mapping[str, int] = {"patient": 1, "_id": 1, "_count": 1, "_offset": 1}
AUDIT_SEARCH: Mapping[str, int] = {
    "patient": 1,
    "date": 2,
    "_count": 1,
    "_offset": 1,
    "_snapshot": 1,
}
CONDITIONAL_HEADERS = ("if-none-exist", "if-match", "if-none-match", "if-modified-since")
CHANGE_HOW = (
    "a consent is not edited in place: to revoke it, PUT it unchanged with status inactive; "
    "to change it, revoke it and POST a new Consent (or narrow it with "
    "POST /api/v1/consents/{id}/narrow)"
)
FhirBody = Annotated[dict[str, Any], Body(media_type=FHIR_JSON)]


def _documented(**params: str) -> dict[str, Any]:
    """The search parameters, for the OpenAPI document (the route reads them itself)."""
    return {
        "parameters": [
            {"name": name, "in": "query", "schema": {"type": "string"}, "description": text}
            for name, text in params.items()
        ]
    }


PAGING_DOCS = {
    "_count": "at most this many per page (50 by default, 100 at most)",
    "_offset": "set by the paging links",
}


@router.get("/metadata", responses=answers("CapabilityStatement"))
def metadata(request: Request) -> Response:
    """The CapabilityStatement: what this facade serves (no sign-in needed)."""
    _no_parameters(request)
    return resource_response(capability_statement(base_url(request)))


@router.get("/Patient/{patient_id}", responses=answers("Patient"))
def read_patient(patient_id: str, request: Request, who: Caller, deps: Services) -> Response:
    """The client as far as their own people may see: id and managing organisation."""
    who.require(Scope.CONSENTS_READ)
    _no_parameters(request)
    if not is_fhir_id(patient_id):
        raise NotFoundOrDenied
    s = clients.client_summary(deps, patient_id, by=who.actor_id)
    patient = Patient(
        id=s.client_id,
        managingOrganization=Reference(reference=f"Organization/{s.organisation_id}"),
    )
    return resource_response(patient)


@router.get("/Consent/{consent_id}", responses=answers("Consent"))
def read_consent(consent_id: str, request: Request, who: Caller, deps: Services) -> Response:
    """One consent, for the client, their treating clinicians and their privacy officer."""
    who.require(Scope.CONSENTS_READ)
    _no_parameters(request)
    found = _own_consent(deps, who, consent_id)
    if found is None:
        raise NotFoundOrDenied
    return resource_response(consent_resource(found, deps.clock.now()))


@router.get(
    "/Consent",
    responses=answers("Bundle"),
    openapi_extra=_documented(
        patient="Patient/<id> or <id> (required)", _id="one Consent's id", **PAGING_DOCS
    ),
)
def search_consents(request: Request, who: Caller, deps: Services) -> Response:
    """A client's consents, revoked and ended ones too, oldest first:
    ``patient=Patient/<id>`` (required), ``_id``, ``_count``."""
    who.require(Scope.CONSENTS_READ)
    search = parse_search(request.query_params.multi_items(), CONSENT_SEARCH)
    patient_id = patient_of(search)
    wanted = search.one("_id")
    found = clients.consents_of(deps, patient_id, by=who.actor_id)
    matches = [c for c in found if wanted is None or fhir_id_for(c.id) == wanted]
    now = deps.clock.now()
    page = [consent_resource(c, now) for c in matches[search.page.window]]
    return searchset(request, page, total=len(matches), page=search.page)


@router.post(
    "/Consent",
    status_code=status.HTTP_201_CREATED,
    responses=answers("Consent", status=status.HTTP_201_CREATED),
)
def create_consent(body: FhirBody, request: Request, who: Caller, deps: Services) -> Response:
    """The client gives a consent (or a refusal) to one recipient. Only the client may."""
    who.require(Scope.CONSENTS_WRITE)
    _no_parameters(request)
    resource = parse_consent(body)
    status_of(
        resource,
        frozenset({ACTIVE}),
        "a consent is given as active (revoke it later with a PUT of status inactive)",
    )
    consent = new_consent(read_terms(resource), new_id("consent"), deps.clock.now())
    with fhir_fields():
        made = consents.grant_consent(deps, consent, by=who.actor_id)
    answer = consent_resource(made, deps.clock.now())
    location = f"{base_url(request)}/Consent/{answer.id}"
    return resource_response(answer, status=201, headers={"Location": location})


@router.put("/Consent/{consent_id}", responses=answers("Consent"))
def update_consent(
    consent_id: str, body: FhirBody, request: Request, who: Caller, deps: Services
) -> Response:
    """Revoke a consent: PUT it unchanged but for status ``inactive`` (or ``rejected``). Any
    other change is refused, saying how to change a consent. Only the client may."""
    who.require(Scope.CONSENTS_WRITE)
    _no_parameters(request)
    if not is_fhir_id(consent_id):
        raise NotFoundOrDenied  # no Consent has that id
    resource = parse_consent(body)
    if resource.id != consent_id:
        raise InvalidValue("Consent.id", "must be the id in the URL")
    wanted = status_of(resource, REVOKING | {ACTIVE}, CHANGE_HOW)
    terms = read_terms(resource)
    stored = _own_consent(deps, who, consent_id)
    if stored is None:
        if wanted not in REVOKING:
            raise NotFoundOrDenied
        # Not one of the caller's own: the service decides, and logs its refusal.
        with fhir_fields():
            changed = consents.revoke_consent(deps, consent_id, by=who.actor_id)
    else:
        changed = _revise(deps, who, stored, terms, wanted)
    return resource_response(consent_resource(changed, deps.clock.now()))


@router.get(
    "/AuditEvent",
    responses=answers("Bundle"),
    openapi_extra=_documented(
        patient="Patient/<id> or <id> (required)",
        date="[eq|ge|gt|le|lt]YYYY[-MM[-DD[Thh:mm[:ss]+zone]]]; up to twice, for a range",
        **PAGING_DOCS,
        _snapshot="set by the paging links",
    ),
)
def search_audit_events(request: Request, who: Caller, deps: Services) -> Response:
    """Every access to a client's record, newest first, for the client and their privacy
    officer: ``patient=Patient/<id>`` (required), ``date`` (up to twice), ``_count``."""
    who.require(Scope.HISTORY_READ)
    search = parse_search(request.query_params.multi_items(), AUDIT_SEARCH)
    patient_id = patient_of(search)
    window = DateWindow.parse(search.all("date"))
    snapshot = whole_number(search, "_snapshot")
    h = history.access_history(deps, client_id=patient_id, by=who.actor_id, since=window.since)
    found = matching(h, window, snapshot)
    events = audit_events(h, found.entries[search.page.window])
    pinned = {"_snapshot": str(found.snapshot)}
    return searchset(request, events, total=len(found.entries), page=search.page, pinned=pinned)


def _own_consent(deps: Deps, who: Principal, fhir_id: str) -> Consent | None:
    """The consent with this FHIR id, for whoever may see the client's consents. A consent
    whose confide id is not a FHIR id (it was given a UUID) is found among the client's own."""
    if not is_fhir_id(fhir_id):
        return None
    try:
        return clients.consent_of(deps, fhir_id, by=who.actor_id)
    except NotFoundOrDenied:
        if who.role is not Role.CLIENT:
            raise
    mine = clients.consents_of(deps, who.actor_id, by=who.actor_id)
    return next((c for c in mine if fhir_id_for(c.id) == fhir_id), None)


def _revise(deps: Deps, who: Principal, stored: Consent, terms: Terms, wanted: str) -> Consent:
    element = first_difference(terms, terms_of(stored))
    if element is not None:
        raise InvalidValue(element, CHANGE_HOW)
    revoking = wanted in REVOKING
    if revoking == (fhir_status(stored, deps.clock.now()) in REVOKING):
        return stored  # nothing to change: FHIR's update is idempotent
    if not revoking:
        raise InvalidValue(
            "Consent.status",
            "a revoked or ended consent cannot be made active again; POST a new Consent",
        )
    with fhir_fields():
        return consents.revoke_consent(deps, stored.id, by=who.actor_id)


def _no_parameters(request: Request) -> None:
    parse_search(request.query_params.multi_items(), {})
    for header in CONDITIONAL_HEADERS:
        if header in request.headers:
            raise Unsupported(
                f"the {header} header is not supported: there are no versions or conditional "
                "interactions here"
            )
