"""The client's access history in plain words: roles, actions and the rules that decided,
as a client reads them (decision 0012). Ids and codes in, words out; nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from confide.domain import Role, RuleId

HISTORY_ACTION = "access_history"
ACCOUNTING_ACTION = "accounting"


class HistoryRule(StrEnum):
    """Who may see a client's access history and accounting; logged with each request."""

    CLIENT = "history.client_own_log"
    PRIVACY_OFFICER = "history.privacy_officer"
    DENY_UNKNOWN = "deny.history.unknown_actor_or_client"
    DENY_OTHER_CLIENT = "deny.history.another_clients_log"
    DENY_ROLE = "deny.history.role"
    DENY_OTHER_ORGANISATION = "deny.history.other_organisation"


_ROLE_WORDS: Mapping[str, str] = MappingProxyType(
    {
        Role.CLIENT.value: "client",
        Role.CLINICIAN.value: "clinician",
        Role.SUPERVISOR.value: "supervisor",
        Role.PRIVACY_OFFICER.value: "privacy officer",
        Role.STAFF.value: "practice staff",
        Role.ADMINISTRATOR.value: "administrator",
        Role.REPRESENTATIVE.value: "personal representative",
        Role.RECIPIENT.value: "recipient",
    }
)

_ACTION_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "read": "read",
        "write": "wrote",
        "disclose": "disclosed",
        HISTORY_ACTION: "viewed the access history",
        ACCOUNTING_ACTION: "asked for the accounting of disclosures",
        "grant_consent": "recorded a consent",
        "revoke_consent": "revoked a consent",
        "narrow_consent": "narrowed a consent",
        "create_client": "admitted the client",
        "add_relationship": "assigned a clinician",
        "acknowledge_notice": "recorded the notice acknowledgment",
        "erase_client": "erased the client's data key",
        "export_pdf": "exported the access history as a PDF",
        "export_fhir": "exported the access history as FHIR AuditEvents",
        "notice_status": "looked at the notice and its acknowledgment",
        "disclosure_open": "opened a disclosure without consent",
        "disclosure_submit": "submitted a disclosure for approval",
        "disclosure_approve": "approved a disclosure",
        "disclosure_reject": "rejected a disclosure",
        "disclosure_withdraw": "withdrew a disclosure",
        "disclosure_disclose": "released a disclosure",
        "disclosure_break_glass": "disclosed in an emergency (break-the-glass)",
        "disclosure_package": "read the record to assemble an emergency disclosure",
        "disclosure_review": "reviewed an emergency disclosure",
        "disclosure_client_told": "recorded that you were told of a disclosure",
        "disclosure_notice_withheld": "recorded why you are not told of a disclosure yet",
        "disclosure_view": "looked at a disclosure request",
        "suspend_accounting": "recorded an agency's suspension of the accounting",
    }
)

_RULE_WORDS: Mapping[str, str] = MappingProxyType(
    {
        RuleId.CLIENT_OWN_RECORD.value: "the client's right to their own record",
        RuleId.REPRESENTATIVE.value: "a personal representative acting for the client",
        RuleId.TREATING_CLINICIAN.value: "the treating clinician",
        RuleId.PSYCHOTHERAPY_NOTE_AUTHOR.value: "the author of the psychotherapy notes",
        RuleId.STAFF_OPERATIONS.value: "practice staff, for scheduling and billing",
        RuleId.CONSENT.value: "the client's consent",
        RuleId.EXCEPTION_DISCLOSURE.value: "a disclosure the law requires or allows",
        RuleId.BREAK_GLASS.value: "emergency access (break-the-glass)",
        RuleId.DEFAULT.value: "nothing on file permits it",
        RuleId.UNKNOWN_ACTOR.value: "the person asking is not on file",
        RuleId.UNKNOWN_CLIENT.value: "no such client",
        RuleId.ADMINISTRATOR.value: "administrators never see client records",
        RuleId.STAFF_NOT_CLINICAL.value: "staff see only scheduling and billing details",
        RuleId.CONSENT_FORBIDS.value: "the client refused this recipient",
        RuleId.PSYCHOTHERAPY_NOTE_PROTECTED.value: "psychotherapy notes need an authorization",
        RuleId.SUBSTANCE_USE_PROTECTED.value: "substance-use records need a consent naming them",
        RuleId.BEYOND_MINIMUM_NECESSARY.value: "more than the minimum necessary",
        RuleId.PART2_COURT_FINDINGS_MISSING.value: "the court order lacks the findings required",
        RuleId.MINOR_SELF_CONSENTED_CARE.value: "care the client consented to themself",
        RuleId.RELATIONSHIP_ENDED.value: "the treatment relationship had ended",
        RuleId.CONSENT_REVOKED.value: "the consent was revoked",
        RuleId.CONSENT_EXPIRED.value: "the consent had expired",
        RuleId.CONSENT_NOT_YET_ACTIVE.value: "the consent had not started yet",
        RuleId.APPROVAL_PENDING.value: "the disclosure was not yet approved",
        "write.grant_consent": "the client's own decision",
        "write.revoke_consent": "the client's own decision",
        "write.narrow_consent": "the client's own decision",
        "deny.not_the_consenter": "only the client gives or changes their consent",
        "deny.unknown_record": "no such record",
        "admin.founding": "the founding of the practice",
        "admin.practice_administrator": "an administrator of the practice",
        "admin.privacy_officer": "the privacy officer of the practice",
        "admin.practice_staff": "staff of the practice",
        "admin.client_acknowledges": "the client's own acknowledgment",
        "admin.staff_records_signed_form": "staff of the practice, from a signed form",
        "security.integrity": "the stored record failed its integrity check",
        "vault.key_erased": "the client's data key had been erased",
        "security.key_unavailable": "the key to open the record was unavailable; nothing was shown",
        "write.failed": "the change failed and was not stored",
        "write.conflict": "another change came first; nothing was stored",
        HistoryRule.CLIENT.value: "the client's own access log",
        HistoryRule.PRIVACY_OFFICER.value: "the privacy officer of the practice",
        HistoryRule.DENY_UNKNOWN.value: "only the client and their privacy officer may see it",
        HistoryRule.DENY_OTHER_CLIENT.value: "only the client and their privacy officer may see it",
        HistoryRule.DENY_ROLE.value: "only the client and their privacy officer may see it",
        HistoryRule.DENY_OTHER_ORGANISATION.value: (
            "only the client and their privacy officer may see it"
        ),
    }
)


def role_words(role: str) -> str:
    """A stored role code in plain words; actors not on file are logged as ``unknown``."""
    return _ROLE_WORDS.get(role, "not on file")


def action_words(action: str) -> str:
    """A logged action in plain words."""
    return _ACTION_WORDS.get(action, action.replace("_", " "))


def rule_words(rule: str) -> str:
    """A logged rule in plain words; rules without wording yet are shown by their id."""
    if rule in _RULE_WORDS:
        return _RULE_WORDS[rule]
    if rule.startswith("deny.admin."):
        return "not theirs to change"
    if rule.startswith("deny.disclosure."):
        return "refused by the rules for disclosures without consent"
    if rule.startswith("disclosure."):
        state = rule.removeprefix("disclosure.").replace("_", " ")
        return f"the disclosure request is now: {state}"
    return rule


def display_name(actor_id: str, role: str, organisation: str | None = None) -> str:
    """How a person is shown to a client. The store holds no names yet, so this is the actor's
    id and role (and organisation, when known); names can come from here later."""
    where = f", {organisation}" if organisation else ""
    return f"{actor_id} ({role_words(role)}{where})"
