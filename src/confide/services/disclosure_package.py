"""What an exception disclosure hands over (decision 0013): a PDF for a person and a FHIR R4B
Bundle for a system, both holding exactly the records the decision engine permitted.

The package is built from a ``PackageCover`` (the legal ground, the recipient, what is included
and what is not) and the decrypted ``PackageEntry`` values; its SHA-256 digests go into the
audit log with the disclosure.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from confide.domain import Category, ExceptionGround, Period
from confide.domain.disclosures import RecipientKind


@dataclass(frozen=True, slots=True)
class PackageEntry:
    """One record in the package: its latest version, decrypted."""

    record_id: str
    category: Category
    version: int
    recorded_at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class PackageCover:
    """What the cover sheet says."""

    request_id: str
    client_id: str
    ground: ExceptionGround
    citation: str  # the rule pack's citation for the ground, and the federal rule
    jurisdiction: str  # the rule pack's name
    recipient_id: str
    recipient_kind: RecipientKind
    disclosed_at: datetime
    disclosed_by: str
    approved_by: str | None  # None for an emergency, reviewed afterwards
    emergency: bool
    included: tuple[Category, ...]  # the categories released
    withheld: tuple[Category, ...]  # asked for and not released (named, never shown)
    records_period: Period | None
    part2_notice: str | None  # 42 CFR 2.32, when substance-use records are included
    legal_process: str | None  # the order or subpoena, in one line


@dataclass(frozen=True, slots=True)
class DisclosurePackage:
    """The package: the PDF, the FHIR Bundle as JSON, and their digests."""

    pdf: bytes
    fhir_json: bytes

    @property
    def pdf_sha256(self) -> str:
        """SHA-256 of the PDF, hex."""
        return hashlib.sha256(self.pdf).hexdigest()

    @property
    def fhir_sha256(self) -> str:
        """SHA-256 of the FHIR Bundle's JSON, hex."""
        return hashlib.sha256(self.fhir_json).hexdigest()

    @property
    def sha256(self) -> str:
        """One digest for the package: over both parts' digests."""
        both = bytes.fromhex(self.pdf_sha256) + bytes.fromhex(self.fhir_sha256)
        return hashlib.sha256(b"confide/disclosure-package/v1\x00" + both).hexdigest()


def build_package(cover: PackageCover, entries: tuple[PackageEntry, ...]) -> DisclosurePackage:
    """The package's two parts, from the cover and the permitted entries."""
    # Imported here: the renderers import this module's types.
    from confide.services.disclosure_fhir import package_bundle_json  # noqa: PLC0415
    from confide.services.disclosure_pdf import package_pdf  # noqa: PLC0415

    return DisclosurePackage(package_pdf(cover, entries), package_bundle_json(cover, entries))
