"""A client's access history and accounting, exported: a PDF a person reads, and a FHIR Bundle of
AuditEvent resources another system reads (decision 0012).

Both carry what the history holds: ids, codes, rules and plain words; never clinical text.

The FHIR resources are FHIR R4B (4.3.0), built and validated with ``fhir.resources.R4B``; the
AuditEvent resource is the same in R4 (4.0.1) and R4B for every element used here.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from fhir.resources.R4B.auditevent import (
    AuditEvent,
    AuditEventAgent,
    AuditEventEntity,
    AuditEventEntityDetail,
    AuditEventSource,
)
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.reference import Reference
from fpdf import FPDF, FontFace
from fpdf.enums import TableCellFillMode, XPos, YPos

from confide.domain import Category, Purpose, Role
from confide.domain.codes import HL7_PURPOSE_OF_USE_SYSTEM
from confide.services import pdf_colours as colours
from confide.services.history import (
    EXCLUSIONS,
    SUSPENSION_NOTE,
    AccessHistory,
    Accounting,
    HistoryEntry,
)
from confide.services.history_words import role_words

# FHIR ---------------------------------------------------------------------------------------

DICOM_SYSTEM = "http://dicom.nema.org/resources/ontology/DCM"
PATIENT_RECORD = ("110110", "Patient Record")  # DICOM audit event ID: access to a patient record
ACTION_SYSTEM = "http://hl7.org/fhir/audit-event-action"
OUTCOME_SYSTEM = "http://hl7.org/fhir/audit-event-outcome"
SOURCE_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/security-source-type"
ENTITY_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/object-role"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
# confide's own codes: its actions, roles, record categories and rules.
CONFIDE_SYSTEM = "urn:confide:fhir:CodeSystem"
CONFIDE_ACTION_SYSTEM = f"{CONFIDE_SYSTEM}:action"
CONFIDE_ROLE_SYSTEM = f"{CONFIDE_SYSTEM}:role"
CONFIDE_ACTOR_SYSTEM = "urn:confide:actor"
_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:confide:audit-entry")

# AuditEvent.action (R4 value set audit-event-action): C create, R read, U update, D delete,
# E execute. A write makes a new version and never changes an old one: C.
_FHIR_ACTION = MappingProxyType(
    {
        "read": "R",
        "disclose": "R",
        "access_history": "R",
        "accounting": "R",
        "write": "C",
        "grant_consent": "C",
        "narrow_consent": "C",
        "create_client": "C",
        "add_relationship": "C",
        "acknowledge_notice": "C",
        "revoke_consent": "U",
        "erase_client": "D",
    }
)
# AuditEvent.outcome: 0 success, 4 minor failure (a refusal), 8 serious failure (an error).
_FHIR_OUTCOME = MappingProxyType({"permit": "0", "deny": "4"})
# Displays of the HL7 v3 ActReason codes confide uses as purposes of use.
_PURPOSE_DISPLAY = MappingProxyType(
    {
        Purpose.TREAT: "treatment",
        Purpose.ETREAT: "Emergency Treatment",
        Purpose.BTG: "break the glass",
        Purpose.COC: "coordination of care",
        Purpose.HPAYMT: "healthcare payment",
        Purpose.HOPERAT: "healthcare operations",
        Purpose.PATRQT: "patient requested",
        Purpose.FAMRQT: "family requested",
        Purpose.PWATRNY: "power of attorney",
        Purpose.HLEGAL: "legal",
        Purpose.PUBHLTH: "public health",
        Purpose.THREAT: "threat",
    }
)
# HL7 sensitivity labels for the categories with special protection.
_SENSITIVITY = MappingProxyType(
    {
        Category.PSYCHOTHERAPY_NOTE: ("PSYTHPN", "psychotherapy note information sensitivity"),
        Category.SUBSTANCE_USE: ("ETH", "substance abuse information sensitivity"),
    }
)
_REFERENCE_TYPE = MappingProxyType(
    {
        Role.CLIENT.value: "Patient",
        Role.REPRESENTATIVE.value: "RelatedPerson",
        Role.CLINICIAN.value: "Practitioner",
        Role.SUPERVISOR.value: "Practitioner",
        Role.PRIVACY_OFFICER.value: "Practitioner",
        Role.STAFF.value: "Practitioner",
        Role.ADMINISTRATOR.value: "Practitioner",
    }
)


def history_fhir_bundle(history: AccessHistory, client_id: str) -> dict[str, Any]:
    """The history as a FHIR Bundle (type ``collection``) of one AuditEvent per entry, as JSON."""
    if client_id != history.client_id:
        raise ValueError("the history is of another client")
    bundle = Bundle(
        type="collection",
        timestamp=history.generated_at,
        entry=[
            BundleEntry(
                fullUrl=f"urn:uuid:{_event_id(client_id, e)}", resource=_audit_event(e, client_id)
            )
            for e in history.entries
        ],
    )
    out: dict[str, Any] = json.loads(bundle.model_dump_json(exclude_none=True))
    return out


def _event_id(client_id: str, e: HistoryEntry) -> uuid.UUID:
    return uuid.uuid5(_IDS, f"{client_id}/{e.seq}")


def _audit_event(e: HistoryEntry, client_id: str) -> AuditEvent:
    purpose = (
        None
        if e.purpose is None
        else [
            CodeableConcept(
                coding=[
                    Coding(
                        system=HL7_PURPOSE_OF_USE_SYSTEM,
                        code=e.purpose.value,
                        display=_PURPOSE_DISPLAY[e.purpose],
                    )
                ],
                text=e.purpose.label,
            )
        ]
    )
    return AuditEvent(
        id=str(_event_id(client_id, e)),
        type=Coding(system=DICOM_SYSTEM, code=PATIENT_RECORD[0], display=PATIENT_RECORD[1]),
        subtype=[Coding(system=CONFIDE_ACTION_SYSTEM, code=e.action)],
        action=_FHIR_ACTION.get(e.action, "E"),
        recorded=e.at,
        outcome=_FHIR_OUTCOME.get(e.effect, "8"),
        outcomeDesc=e.outcome,
        purposeOfEvent=purpose,
        agent=[
            AuditEventAgent(
                who=_who(e),
                role=[
                    CodeableConcept(
                        coding=[
                            Coding(
                                system=CONFIDE_ROLE_SYSTEM,
                                code=e.actor_role,
                                display=role_words(e.actor_role),
                            )
                        ]
                    )
                ],
                requestor=True,
            )
        ],
        source=AuditEventSource(
            observer=Reference(display="confide"),
            type=[Coding(system=SOURCE_TYPE_SYSTEM, code="4", display="Application Server")],
        ),
        entity=[
            AuditEventEntity(
                what=Reference(reference=f"Patient/{client_id}"),
                type=Coding(system=ENTITY_TYPE_SYSTEM, code="1", display="Person"),
                role=Coding(system=OBJECT_ROLE_SYSTEM, code="1", display="Patient"),
                securityLabel=[
                    Coding(system=ACT_CODE_SYSTEM, code=code, display=display)
                    for category, (code, display) in _SENSITIVITY.items()
                    if category in e.asked
                ]
                or None,
                detail=[
                    AuditEventEntityDetail(type=name, valueString=value)
                    for name, value in (
                        ("requested", ",".join(c.value for c in e.asked)),
                        ("permitted", ",".join(c.value for c in e.permitted)),
                        ("rule", e.rule),
                        ("request", e.request_id),
                    )
                    if value
                ],
            )
        ],
    )


def _who(e: HistoryEntry) -> Reference:
    if e.actor_id is None:  # another client, not named
        return Reference(display=e.who)
    kind = _REFERENCE_TYPE.get(e.actor_role)
    if kind is None:
        return Reference(
            identifier=Identifier(system=CONFIDE_ACTOR_SYSTEM, value=e.actor_id), display=e.who
        )
    return Reference(reference=f"{kind}/{e.actor_id}", display=e.who)


# PDF ----------------------------------------------------------------------------------------

_HEAD_FILL = (232, 236, 241)
_ZEBRA = (247, 248, 250)
_REFUSED = (150, 30, 30)
_HEADINGS = FontFace(emphasis="BOLD", color=colours.INK, fill_color=_HEAD_FILL)


class _Document(FPDF):
    def __init__(self, client_id: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.client_id = client_id
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(latin1("Access history and accounting of disclosures"))
        self.set_author("confide")
        self.set_creator("confide")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=7.5)
        self.set_text_color(*colours.MUTED)
        self.cell(
            0,
            5,
            latin1(f"Access history of {self.client_id}  -  page {self.page_no()} of {{nb}}"),
            align="C",
        )


def history_pdf(history: AccessHistory, accounting: Accounting) -> bytes:
    """A readable A4 document for the client: every access to their record, and the accounting
    of disclosures HIPAA 45 CFR 164.528 gives them a right to."""
    if history.client_id != accounting.client_id:
        raise ValueError("the history and the accounting are of different clients")
    pdf = _Document(history.client_id)
    # The same history gives the same bytes: the document's date is the history's, not now.
    pdf.set_creation_date(history.generated_at)
    pdf.add_page()
    _title(pdf, history)
    _accesses(pdf, history)
    _accounting(pdf, accounting)
    return bytes(pdf.output())


def latin1(text: str) -> str:
    """Text the PDF core fonts can show: typographic characters made plain, others replaced."""
    plain = text.translate(_PLAIN)
    plain = unicodedata.normalize("NFKC", plain)
    return plain.encode("latin-1", "replace").decode("latin-1")


_PLAIN = str.maketrans(
    {
        "\u2014": "-",
        "\u2013": "-",
        "\u2012": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u00a0": " ",
        "\u2022": "-",
        "\u2192": "->",
    }
)


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _day(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(4)
    pdf.set_font("Helvetica", style="B", size=12)
    pdf.set_text_color(*colours.INK)
    pdf.cell(0, 7, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*colours.RULE_LINE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)


def _paragraph(
    pdf: FPDF, text: str, *, size: float = 9, muted: bool = False, strong: bool = False
) -> None:
    pdf.set_font("Helvetica", style="B" if strong else "", size=size)
    pdf.set_text_color(*(colours.MUTED if muted else colours.INK))
    pdf.multi_cell(0, size * 0.5, latin1(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.5)


def _title(pdf: FPDF, history: AccessHistory) -> None:
    pdf.set_font("Helvetica", style="B", size=17)
    pdf.set_text_color(*colours.INK)
    pdf.cell(0, 9, "Who has seen your record", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9.5)
    pdf.set_text_color(*colours.MUTED)
    since = "" if history.since is None else f"  |  entries since {_when(history.since)}"
    pdf.cell(
        0,
        5,
        latin1(f"Client {history.client_id}  |  generated {_when(history.generated_at)}{since}"),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(2)
    _paragraph(
        pdf,
        "Every time someone asked to see or change your record, the practice logged who asked, "
        "what they asked for, why, and whether it was allowed, whether or not they were let in. "
        "This document lists those entries, newest first, and then the accounting of "
        "disclosures the HIPAA Privacy Rule gives you a right to. It holds no part of your "
        "record itself.",
    )
    if not history.chain_intact:
        _paragraph(
            pdf,
            "Warning: the log of your record did not check out as unaltered. The practice's "
            "privacy officer has to investigate; ask them about it.",
            strong=True,
        )


def _accesses(pdf: FPDF, history: AccessHistory) -> None:
    _heading(pdf, f"Every access to your record ({len(history.entries)})")
    if not history.entries:
        _paragraph(pdf, "Nobody has asked for your record in this period.", muted=True)
        return
    pdf.set_font("Helvetica", size=7.5)
    pdf.set_text_color(*colours.INK)
    pdf.set_draw_color(*colours.RULE_LINE)
    with pdf.table(
        col_widths=(22, 40, 44, 28, 46),
        text_align="LEFT",
        v_align="TOP",
        headings_style=_HEADINGS,
        cell_fill_color=_ZEBRA,
        cell_fill_mode=TableCellFillMode.ROWS,
        line_height=3.6,
        padding=1.2,
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        table.row([latin1(h) for h in ("When", "Who", "What", "Why", "Allowed or refused")])
        for e in history.entries:
            row = table.row()
            row.cell(latin1(_when(e.at)))
            row.cell(latin1(e.who))
            row.cell(latin1(e.what))
            row.cell(latin1(e.why or "-"))
            row.cell(
                latin1(e.outcome),
                style=None if e.allowed else FontFace(color=_REFUSED),
            )


def _accounting(pdf: FPDF, accounting: Accounting) -> None:
    if pdf.get_y() > pdf.h - 70:  # keep the heading with the start of its section
        pdf.add_page()
    _heading(pdf, "Accounting of disclosures (HIPAA 45 CFR 164.528)")
    _paragraph(
        pdf,
        f"Disclosures of your record from {_day(accounting.period_start)} to "
        f"{_day(accounting.generated_at)}: the six years before this accounting was asked for.",
    )
    if accounting.disclosures:
        pdf.set_font("Helvetica", size=7.5)
        pdf.set_text_color(*colours.INK)
        pdf.set_draw_color(*colours.RULE_LINE)
        with pdf.table(
            col_widths=(22, 48, 42, 68),
            text_align="LEFT",
            v_align="TOP",
            headings_style=_HEADINGS,
            cell_fill_color=_ZEBRA,
            cell_fill_mode=TableCellFillMode.ROWS,
            line_height=3.6,
            padding=1.2,
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            table.row(
                [latin1(h) for h in ("Date", "Disclosed to", "What", "Purpose and legal ground")]
            )
            for d in accounting.disclosures:
                table.row(
                    [latin1(_when(d.at)), latin1(d.recipient), latin1(d.what), latin1(d.ground)]
                )
        pdf.ln(2)
    else:
        _paragraph(pdf, "There are no disclosures to account for in this period.", muted=True)
    if accounting.withheld:
        _paragraph(pdf, SUSPENSION_NOTE, strong=True)
    _paragraph(pdf, EXCLUSIONS, size=8.5, muted=True)
