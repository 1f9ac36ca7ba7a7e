"""The people and records of the disclosure tests: a practice, a supervisor, recipients at a
police department, an agency and a court, and one synthetic entry per category."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass, replace

from pypdf import PdfReader

from confide.domain import Actor, Category, Organisation, Role
from confide.services import practice, records
from confide.services.deps import Deps
from confide.services.disclosures import DisclosureAsk
from tests.integration.conftest import Practice

RISK = "Synthetic risk line: the client named a plan about the blue bicycle."
DEMO = "Synthetic contact line: reachable at the green door."
NOTE = "Synthetic progress line: talked about the weather and the garden."
PSY = "Synthetic private line: a dream about a lighthouse."
DIAG = "Synthetic diagnosis line: code placeholder 000."
SUD = "Synthetic substance line: placeholder intake answer."
JUSTIFICATION = "Synthetic reason: a stated intent toward a named person this week."
ENTRIES = {
    Category.RISK_ASSESSMENT: RISK,
    Category.DEMOGRAPHICS: DEMO,
    Category.PROGRESS_NOTE: NOTE,
    Category.PSYCHOTHERAPY_NOTE: PSY,
    Category.DIAGNOSIS: DIAG,
    Category.SUBSTANCE_USE: SUD,
}


@dataclass(frozen=True)
class Cast:
    """The people of one test: the practice's, a supervisor, and recipients outside it."""

    p: Practice
    supervisor: str
    police: str
    agency: str
    clerk: str


def make_cast(deps: Deps, p: Practice) -> Cast:
    """Put the cast on file and write one synthetic entry per category for the client."""
    tag = secrets.token_hex(3)
    c = Cast(p, f"sup-{tag}", f"police-{tag}", f"cps-{tag}", f"clerk-{tag}")
    practice.add_actor(deps, Actor(c.supervisor, Role.SUPERVISOR, p.home), by=p.officer)
    for org, person in (("pd", c.police), ("cps", c.agency), ("court", c.clerk)):
        org_id = f"org-{org}-{tag}"
        practice.add_organisation(deps, Organisation(org_id, f"{org} {tag}"), by=p.officer)
        practice.add_actor(deps, Actor(person, Role.RECIPIENT, org_id), by=p.officer)
    for category, text in ENTRIES.items():
        records.write_record(
            deps, actor_id=p.clinician, client_id=p.client, category=category, text=text
        )
    return c


def warn_ask(c: Cast, **changes: object) -> DisclosureAsk:
    """A duty-to-warn request to the police for contact details and the risk assessment."""
    ask = DisclosureAsk(
        client_id=c.p.client,
        ground="imminent_risk_others",
        recipient_id=c.police,
        recipient_kind="law_enforcement",
        categories=frozenset({Category.DEMOGRAPHICS, Category.RISK_ASSESSMENT}),
        justification=JUSTIFICATION,
    )
    return replace(ask, **changes)  # type: ignore[arg-type]


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF, page after page."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
