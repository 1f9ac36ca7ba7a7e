"""The FHIR half of an exception disclosure package (decision 0013): a FHIR R4B (4.3.0) Bundle
of type ``collection``, built and validated with ``fhir.resources.R4B``, for the recipient's
system.

The Bundle's identifier is ``urn:confide:disclosure:<request id>`` and its timestamp the time of
disclosure. It holds:

- one **DocumentReference** per record: the record's category as ``type`` (confide's category
  code system), the client as ``subject``, the time it was recorded as ``date``, the record id as
  ``identifier`` and the record id with its version as ``masterIdentifier`` (the version-specific
  identifier), and the text as a base64 ``text/plain; charset=utf-8`` attachment, exactly as
  stored. ``meta.security`` labels it restricted (v3-Confidentiality ``R``), psychotherapy notes
  ``PSYTHPN`` and substance-use records ``ETH`` (v3-ActCode), the latter also with the refrain
  policy ``NORDSCLCD``: no redisclosure without the client's consent (42 CFR 2.32);
- one **Communication**: the disclosure itself, sent by the person who disclosed to the
  recipient (by confide's actor identifier, with the kind of recipient as display), for the
  ground's purpose of use. Its payload carries the 42 CFR 2.32 redisclosure notice as the first
  ``contentString`` when substance-use records are included (the notice must accompany each
  disclosure, and a Communication's payload is what the sender conveys to the recipient; R4B
  has no element of its own for it), then a reference to each DocumentReference. Its notes say
  in words what has no code: the ground and its citation, the jurisdiction, the legal process,
  the records period, what was asked for and withheld, and the limit on redisclosure;
- one **Provenance**: who disclosed (agent type ``performer``, ``Practitioner/<id>``) and who
  approved (``verifier``; none for a break-the-glass disclosure, reviewed afterwards), when
  (``recorded``), why (``reason``: the ground's HL7 PurposeOfUse, THREAT, PUBHLTH or HLEGAL, and
  BTG for an emergency), targeting every DocumentReference and the Communication (so it has a
  target even when no record is included). ``Provenance.policy`` is left out: the rule pack's
  citation is legal prose, not a URI.

Resource ids are UUIDv5 of the request id (and the record id), and the JSON is the library's
``model_dump_json``, so the same input gives the same bytes and the package digest reproduces.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable
from datetime import datetime
from types import MappingProxyType

from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.attachment import Attachment
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.communication import Communication, CommunicationPayload
from fhir.resources.R4B.documentreference import DocumentReference, DocumentReferenceContent
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.meta import Meta
from fhir.resources.R4B.provenance import Provenance, ProvenanceAgent
from fhir.resources.R4B.reference import Reference

from confide.domain import Category, Purpose
from confide.domain.codes import HL7_PURPOSE_OF_USE_SYSTEM
from confide.domain.validation import require_aware
from confide.policy.minimum_necessary import GROUND_PURPOSE
from confide.services.disclosure_package import PackageCover, PackageEntry
from confide.services.history_export import (
    ACT_CODE_SYSTEM,
    CONFIDE_ACTION_SYSTEM,
    CONFIDE_ACTOR_SYSTEM,
    CONFIDE_SYSTEM,
)

CATEGORY_SYSTEM = f"{CONFIDE_SYSTEM}:category"
CONFIDENTIALITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
PARTICIPANT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
URI_SYSTEM = "urn:ietf:rfc:3986"
RECORD_SYSTEM = "urn:confide:record"
RECORD_VERSION_SYSTEM = "urn:confide:record-version"
TEXT_PLAIN = "text/plain; charset=utf-8"
_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:confide:disclosure-package")

RESTRICTED = ("R", "restricted")
# HL7 sensitivity labels for the categories with special protection.
_SENSITIVITY = MappingProxyType(
    {
        Category.PSYCHOTHERAPY_NOTE: ("PSYTHPN", "psychotherapy note information sensitivity"),
        Category.SUBSTANCE_USE: ("ETH", "substance abuse information sensitivity"),
    }
)
# 42 CFR 2.32: the recipient may not redisclose substance-use records without consent.
NO_REDISCLOSURE = ("NORDSCLCD", "no redisclosure without consent directive")
_PURPOSE_DISPLAY = MappingProxyType(
    {
        Purpose.THREAT: "threat",
        Purpose.PUBHLTH: "public health",
        Purpose.HLEGAL: "legal",
        Purpose.BTG: "break the glass",
    }
)
REDISCLOSURE = (
    "This information is disclosed only for the stated purpose and must not be redisclosed "
    "except as the law allows."
)


def package_bundle_json(cover: PackageCover, entries: tuple[PackageEntry, ...]) -> bytes:
    """The package's FHIR R4B Bundle as UTF-8 JSON, the same bytes for the same input."""
    ordered = sorted(entries, key=lambda e: (e.category.sensitivity, e.recorded_at, e.record_id))
    seen = {e.record_id for e in ordered}
    if len(seen) != len(ordered):
        raise ValueError("a record appears twice in the package; include its latest version once")
    documents = [(_url(cover, f"record/{e.record_id}"), _document(cover, e)) for e in ordered]
    categories = [e.category for e in ordered]
    communication = (_url(cover, "communication"), _communication(cover, documents, categories))
    provenance = (_url(cover, "provenance"), _provenance(cover, [*documents, communication]))
    bundle = Bundle(
        identifier=Identifier(
            system=URI_SYSTEM, value=f"urn:confide:disclosure:{cover.request_id}"
        ),
        type="collection",
        timestamp=_instant(cover.disclosed_at),
        meta=Meta(security=_security(categories)),
        entry=[
            BundleEntry(fullUrl=url, resource=resource)
            for url, resource in [*documents, communication, provenance]
        ],
    )
    return bundle.model_dump_json(exclude_none=True).encode("utf-8")


def _id(cover: PackageCover, name: str) -> str:
    return str(uuid.uuid5(_IDS, f"{cover.request_id}/{name}"))


def _url(cover: PackageCover, name: str) -> str:
    return f"urn:uuid:{_id(cover, name)}"


def _instant(at: datetime) -> datetime:
    return require_aware(at, "time")


def _security(categories: Iterable[Category]) -> list[Coding]:
    present = set(categories)
    labels = [Coding(system=CONFIDENTIALITY_SYSTEM, code=RESTRICTED[0], display=RESTRICTED[1])]
    labels += [
        Coding(system=ACT_CODE_SYSTEM, code=code, display=display)
        for category, (code, display) in _SENSITIVITY.items()
        if category in present
    ]
    if Category.SUBSTANCE_USE in present:
        labels.append(
            Coding(system=ACT_CODE_SYSTEM, code=NO_REDISCLOSURE[0], display=NO_REDISCLOSURE[1])
        )
    return labels


def _category(c: Category) -> CodeableConcept:
    return CodeableConcept(
        coding=[Coding(system=CATEGORY_SYSTEM, code=c.value, display=c.label)], text=c.label
    )


def _document(cover: PackageCover, e: PackageEntry) -> DocumentReference:
    data = e.text.encode("utf-8")
    return DocumentReference(
        id=_id(cover, f"record/{e.record_id}"),
        meta=Meta(security=_security([e.category])),
        masterIdentifier=Identifier(
            system=RECORD_VERSION_SYSTEM, value=f"{e.record_id}/{e.version}"
        ),
        identifier=[Identifier(system=RECORD_SYSTEM, value=e.record_id)],
        status="current",
        type=_category(e.category),
        subject=Reference(reference=f"Patient/{cover.client_id}"),
        date=_instant(e.recorded_at),
        description=f"{e.category.label}, version {e.version}",
        content=[
            DocumentReferenceContent(
                attachment=Attachment(
                    contentType=TEXT_PLAIN,
                    # FHIR has no empty strings: an empty record has no data, and size 0.
                    data=base64.b64encode(data) if data else None,
                    size=len(data),
                    creation=_instant(e.recorded_at),
                )
            )
        ],
    )


def _purposes(cover: PackageCover) -> list[CodeableConcept]:
    purposes = [GROUND_PURPOSE[cover.ground]] + ([Purpose.BTG] if cover.emergency else [])
    return [
        CodeableConcept(
            coding=[
                Coding(system=HL7_PURPOSE_OF_USE_SYSTEM, code=p.value, display=_PURPOSE_DISPLAY[p])
            ],
            text=p.label,
        )
        for p in purposes
    ]


def _notes(cover: PackageCover) -> list[str]:
    notes = [
        f"Disclosed without the client's consent on the ground of {cover.ground.label} "
        f"({cover.citation}); jurisdiction: {cover.jurisdiction}.",
    ]
    if cover.emergency:
        notes.append("Emergency disclosure (break-the-glass); reviewed afterwards.")
    if cover.legal_process:
        notes.append(f"Legal process: {cover.legal_process}")
    if cover.records_period is not None:
        notes.append(f"Records period: {cover.records_period.describe()}.")
    if cover.withheld:
        withheld = ", ".join(c.label for c in sorted(cover.withheld, key=lambda c: c.sensitivity))
        notes.append(
            f"Asked for and not included, as beyond what the law allows: {withheld}.",
        )
    notes.append(REDISCLOSURE)
    return notes


def _communication(
    cover: PackageCover,
    documents: list[tuple[str, DocumentReference]],
    categories: list[Category],
) -> Communication:
    payload = (
        []
        if cover.part2_notice is None
        else [CommunicationPayload(contentString=cover.part2_notice)]
    )
    payload += [
        CommunicationPayload(contentReference=Reference(reference=url, display=d.description))
        for url, d in documents
    ]
    return Communication(
        id=_id(cover, "communication"),
        meta=Meta(security=_security(categories)),
        identifier=[
            Identifier(system=URI_SYSTEM, value=f"urn:confide:disclosure:{cover.request_id}")
        ],
        status="completed",
        topic=CodeableConcept(text="Disclosure without consent"),
        subject=Reference(reference=f"Patient/{cover.client_id}"),
        sent=_instant(cover.disclosed_at),
        sender=Reference(reference=f"Practitioner/{cover.disclosed_by}"),
        recipient=[
            Reference(
                identifier=Identifier(system=CONFIDE_ACTOR_SYSTEM, value=cover.recipient_id),
                display=cover.recipient_kind.label,
            )
        ],
        reasonCode=_purposes(cover),
        payload=payload or None,
        note=[Annotation(text=n) for n in _notes(cover)],
    )


def _provenance(
    cover: PackageCover, targets: list[tuple[str, DocumentReference | Communication]]
) -> Provenance:
    agents = [_agent("performer", "Performer", cover.disclosed_by)]
    if cover.approved_by is not None:
        agents.append(_agent("verifier", "Verifier", cover.approved_by))
    return Provenance(
        id=_id(cover, "provenance"),
        target=[Reference(reference=url) for url, _ in targets],
        recorded=_instant(cover.disclosed_at),
        activity=CodeableConcept(coding=[Coding(system=CONFIDE_ACTION_SYSTEM, code="disclose")]),
        reason=_purposes(cover),
        agent=agents,
    )


def _agent(code: str, display: str, actor_id: str) -> ProvenanceAgent:
    return ProvenanceAgent(
        type=CodeableConcept(
            coding=[Coding(system=PARTICIPANT_TYPE_SYSTEM, code=code, display=display)]
        ),
        who=Reference(reference=f"Practitioner/{actor_id}"),
    )
