"""Audit completeness: every operation in the OpenAPI schema, allowed and denied, leaves exactly
the audit entries it should, no fewer and no more.

``CASES`` holds, for each operation (method and path, as the schema names them), one allowed
and one denied call and the entries each must add: on which chain (the client's or the system
chain), by whom, which action and which effect, and for record reads which categories were
permitted. An operation that touches no client data says what it records (an authentication
event on the system chain, say) or that it records nothing. The table is written by hand from
the services' rules; an operation in the schema without a row fails
``test_every_operation_in_the_schema_has_its_audit_decided``, so no route can be added without
deciding what it leaves in the audit log.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from confide.audit.entries import SYSTEM_CHAIN
from confide.domain import (
    Actor,
    Category,
    Consent,
    NoticeVersion,
    Organisation,
    Period,
    Purpose,
    Role,
)
from confide.services import accounts, consents, practice
from confide.store import schema as t
from tests.api.test_fhir import consent_body
from tests.api.world import PASSWORD, TestClient, World, shared_world

SYSTEM = "system"
JUSTIFICATION = "Synthetic reason: a stated intent toward a named person this week."
NEW_PASSWORD = "synthetic-meadow-copper-violet-97"


@dataclass(frozen=True)
class E:
    """One expected audit entry: its chain (a world attribute naming a client, or
    ``SYSTEM``), its actor (a world attribute, or a literal id), action and effect; for a
    record read, the categories permitted (None: not checked)."""

    chain: str
    actor: str
    action: str
    effect: str
    permitted: frozenset[str] | None = None


@dataclass
class Ctx:
    """The world, a browser per person, recipients outside the practice, fresh objects."""

    world: World
    police: str
    ems: str
    browsers: dict[str, TestClient] = field(default_factory=dict)
    made: list[str] = field(default_factory=list)  # ids made for a call's path, newest last

    def as_(self, who: str | None) -> TestClient:
        """The signed-in browser of the world's ``who`` (a fresh anonymous one for None)."""
        if who is None:
            return self.world.client_for()
        name = getattr(self.world, who)
        if name not in self.browsers:
            self.browsers[name] = self.world.sign_in(name)
        return self.browsers[name]

    def fresh_person(self, role: Role = Role.STAFF) -> str:
        """A new person of the home practice with an account, for calls that end sessions."""
        w = self.world
        person = f"p-{secrets.token_hex(5)}"
        practice.add_actor(w.deps, Actor(person, role, w.home), by=w.officer)
        made = accounts.create_account(
            w.deps, person, PASSWORD, by=accounts.OPERATOR, as_operator=True
        )
        w.secrets[person] = made.totp_secret
        return person

    def fresh_consent(self) -> str:
        """A consent of the client to the outsider for assessments, made for one call."""
        w = self.world
        consent = Consent(
            f"consent-a-{secrets.token_hex(5)}", w.client, w.outsider,
            frozenset({Category.ASSESSMENT}), frozenset({Purpose.TREAT}),
            Period(w.clock.now() - timedelta(minutes=1)),
        )  # fmt: skip
        consents.grant_consent(w.deps, consent, by=w.client)
        return consent.id

    def fresh_notice(self) -> str:
        """A notice version published for one acknowledgment."""
        version = f"notice-a-{secrets.token_hex(5)}"
        practice.publish_notice(
            self.world.deps,
            NoticeVersion(version, self.world.clock.now() - timedelta(minutes=1)),
            by=self.world.officer,
        )
        return version

    def fresh_request(self, *, submit: bool = False, approve: bool = False) -> str:
        """A duty-to-warn request of the clinician for the client; submitted, approved."""
        w = self.world
        clinician = self.as_("clinician")
        opened = clinician.post(f"/api/v1/clients/{w.client}/disclosures", json=_warning(self))
        assert opened.status_code == 201, opened.text
        request_id = str(opened.json()["id"])
        if submit or approve:
            assert clinician.post(f"/api/v1/disclosures/{request_id}/submit").status_code == 200
        if approve:
            approved = self.as_("supervisor").post(f"/api/v1/disclosures/{request_id}/approve")
            assert approved.status_code == 200, approved.text
        return request_id

    def released_request(self) -> str:
        """A request approved and released to the police."""
        request_id = self.fresh_request(approve=True)
        done = self.as_("clinician").post(f"/api/v1/disclosures/{request_id}/release")
        assert done.status_code == 200, done.text
        return request_id

    def break_glass(self) -> str:
        """An emergency disclosure by the clinician, awaiting its review."""
        w = self.world
        done = self.as_("clinician").post(
            f"/api/v1/clients/{w.client}/disclosures/break-glass", json=_emergency(self)
        )
        assert done.status_code == 201, done.text
        return str(done.json()["request"]["id"])

    def own_token(self, who: str) -> str:
        """The id of a token of ``who``."""
        made = self.as_(who).post(
            "/api/v1/tokens", json={"name": "audit", "scopes": ["records.read"]}
        )
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    def record_of(self, who: str) -> str:
        """A progress note of the client, written by the clinician."""
        made = self.as_(who).post(
            f"/api/v1/clients/{self.world.client}/records",
            json={"category": "progress_note", "text": "Synthetic audit note."},
        )
        assert made.status_code == 201, made.text
        return str(made.json()["record_id"])


@dataclass(frozen=True)
class Call:
    """One call: who makes it (a world attribute; None: nobody signed in), how its path and
    body are made (setup made before the audit log is looked at), the status, the entries."""

    who: str | None
    path: Callable[[Ctx], str]
    status: int
    expect: tuple[E, ...]
    body: Callable[[Ctx], Any] = lambda _ctx: None
    browser: Callable[[Ctx], TestClient] | None = None  # instead of ``who``'s shared one


@dataclass(frozen=True)
class Case:
    """An operation's allowed call and denied call (None, with the reason, when no one is
    ever refused it)."""

    allowed: Call
    denied: Call | str


def P(template: str) -> Callable[[Ctx], str]:  # noqa: N802 - reads as a path in the table
    """A path whose ``{client}``, ``{clinician}``… are the world's ids."""
    return lambda c: template.format_map(vars(c.world))


def _sign_in(who: str, password: str = PASSWORD) -> Callable[[Ctx], Any]:
    return lambda c: {
        "name": getattr(c.world, who),
        "password": password,
        "code": c.world.code(getattr(c.world, who)),
    }


def _fresh(c: Ctx) -> TestClient:
    """A browser signed in as a new person of the practice (for calls that end sessions)."""
    return c.world.sign_in(c.fresh_person())


def _note(_c: Ctx) -> dict[str, Any]:
    return {"category": "progress_note", "text": "Synthetic audit note."}


def _warning(c: Ctx) -> dict[str, Any]:
    return {
        "ground": "imminent_risk_others", "recipient_id": c.police,
        "recipient_kind": "law_enforcement", "categories": ["demographics", "risk_assessment"],
        "justification": JUSTIFICATION,
    }  # fmt: skip


def _emergency(c: Ctx) -> dict[str, Any]:
    return {
        "ground": "imminent_risk_self", "recipient_id": c.ems,
        "recipient_kind": "emergency_services", "categories": ["demographics", "risk_assessment"],
        "justification": JUSTIFICATION,
    }  # fmt: skip


def _consent_ask(c: Ctx) -> dict[str, Any]:
    return {
        "recipient_id": c.world.outsider, "categories": ["assessment"], "purposes": ["TREAT"],
    }  # fmt: skip


def _request(path: str, **setup: bool) -> Callable[[Ctx], str]:
    """``path`` with ``{id}`` a fresh disclosure request (submitted, approved as asked)."""
    return lambda c: path.format(id=c.fresh_request(**setup))


def _consent_path(path: str) -> Callable[[Ctx], str]:
    return lambda c: path.format(id=c.fresh_consent())


def _fhir_consent_path(c: Ctx) -> str:
    c.made.append(c.fresh_consent())
    return f"/fhir/Consent/{c.made[-1]}"


def _fhir_consent(c: Ctx) -> dict[str, Any]:
    return consent_body(c.world.client, c.world.outsider, categories=("treatment_plan",))


def _fhir_update(c: Ctx) -> dict[str, Any]:
    """The consent in the path (made just before), as FHIR, unchanged but for its status:
    revoked (the one change a PUT may make)."""
    body = consent_body(c.world.client, c.world.outsider, categories=("assessment",))
    return {**body, "id": c.made[-1], "status": "inactive"}


NO_ENTRY: tuple[E, ...] = ()
FRESH = "fresh"  # an id made for the call itself: a new person's, a new client's chain
ROUTINE = frozenset(c.value for c in Category) - {Category.PSYCHOTHERAPY_NOTE.value}
NOTHING: frozenset[str] = frozenset()

CASES: dict[tuple[str, str], Case] = {
    ("POST", "/api/v1/auth/sign-in"): Case(
        Call(
            None,
            P("/api/v1/auth/sign-in"),
            200,
            (E(SYSTEM, "staff", "sign_in", "permit"),),
            body=_sign_in("staff"),
        ),
        Call(
            None,
            P("/api/v1/auth/sign-in"),
            401,
            (E(SYSTEM, "staff", "sign_in", "deny"),),
            body=_sign_in("staff", "synthetic-wrong-password-1"),
        ),
    ),
    ("POST", "/api/v1/auth/sign-out"): Case(
        Call(
            "staff",
            P("/api/v1/auth/sign-out"),
            204,
            (E(SYSTEM, "fresh", "sign_out", "permit"),),
            browser=_fresh,
        ),
        Call(None, P("/api/v1/auth/sign-out"), 401, NO_ENTRY),
    ),
    ("POST", "/api/v1/auth/password"): Case(
        Call(
            "staff",
            P("/api/v1/auth/password"),
            200,
            (E(SYSTEM, "fresh", "change_password", "permit"),),
            browser=_fresh,
            body=lambda c: {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        ),
        Call(
            "staff",
            P("/api/v1/auth/password"),
            422,
            (E(SYSTEM, "fresh", "change_password", "deny"),),
            browser=_fresh,
            body=lambda c: {
                "current_password": "synthetic-wrong-password-1",
                "new_password": NEW_PASSWORD,
            },
        ),
    ),
    ("POST", "/api/v1/auth/password-reset"): Case(
        Call(
            None,
            P("/api/v1/auth/password-reset"),
            202,
            (E(SYSTEM, "staff", "request_reset", "permit"),),
            body=lambda c: {"name": c.world.staff},
        ),
        "the same answer for every name, so no one is refused (no user enumeration)",
    ),
    ("GET", "/api/v1/me"): Case(
        Call("clinician", P("/api/v1/me"), 200, NO_ENTRY),
        Call(None, P("/api/v1/me"), 401, NO_ENTRY),
    ),
    ("GET", "/api/v1/tokens"): Case(
        Call("clinician", P("/api/v1/tokens"), 200, NO_ENTRY),
        Call(None, P("/api/v1/tokens"), 401, NO_ENTRY),
    ),
    ("POST", "/api/v1/tokens"): Case(
        Call(
            "clinician",
            P("/api/v1/tokens"),
            201,
            (E(SYSTEM, "clinician", "issue_token", "permit"),),
            body=lambda c: {"name": "audit", "scopes": ["records.read"]},
        ),
        Call(
            None,
            P("/api/v1/tokens"),
            401,
            NO_ENTRY,
            body=lambda c: {"name": "audit", "scopes": ["records.read"]},
        ),
    ),
    ("DELETE", "/api/v1/tokens/{token_id}"): Case(
        Call(
            "clinician",
            lambda c: f"/api/v1/tokens/{c.own_token('clinician')}",
            204,
            (E(SYSTEM, "clinician", "revoke_token", "permit"),),
        ),
        Call(
            "colleague",
            lambda c: f"/api/v1/tokens/{c.own_token('clinician')}",
            404,
            (E(SYSTEM, "colleague", "revoke_token", "deny"),),
        ),
    ),
    ("POST", "/api/v1/accounts/{actor_id}/enrolment"): Case(
        Call(
            "officer",
            lambda c: f"/api/v1/accounts/{c.fresh_person()}/enrolment",
            201,
            (E(SYSTEM, "officer", "issue_enrolment", "permit"),),
        ),
        Call(
            "clinician",
            lambda c: f"/api/v1/accounts/{c.fresh_person()}/enrolment",
            404,
            (E(SYSTEM, "clinician", "issue_enrolment", "deny"),),
        ),
    ),
    ("POST", "/api/v1/accounts"): Case(
        Call(
            "officer",
            P("/api/v1/accounts"),
            201,
            (E(SYSTEM, "officer", "create_account", "permit"),),
            body=lambda c: {"actor_id": _person_without_account(c), "password": NEW_PASSWORD},
        ),
        Call(
            "clinician",
            P("/api/v1/accounts"),
            404,
            (E(SYSTEM, "clinician", "create_account", "deny"),),
            body=lambda c: {"actor_id": _person_without_account(c), "password": NEW_PASSWORD},
        ),
    ),
    ("POST", "/api/v1/accounts/{actor_id}/password"): Case(
        Call(
            "officer",
            lambda c: f"/api/v1/accounts/{c.fresh_person()}/password",
            204,
            (E(SYSTEM, "officer", "reset_password", "permit"),),
            body=lambda c: {"new_password": NEW_PASSWORD},
        ),
        Call(
            "clinician",
            lambda c: f"/api/v1/accounts/{c.fresh_person()}/password",
            404,
            (E(SYSTEM, "clinician", "reset_password", "deny"),),
            body=lambda c: {"new_password": NEW_PASSWORD},
        ),
    ),
    ("POST", "/api/v1/organisations"): Case(
        Call(
            "officer",
            P("/api/v1/organisations"),
            204,
            (E(SYSTEM, "officer", "add_organisation", "permit"),),
            body=lambda c: {"id": f"org-{secrets.token_hex(5)}", "name": "Synthetic clinic"},
        ),
        Call(
            "clinician",
            P("/api/v1/organisations"),
            404,
            (E(SYSTEM, "clinician", "add_organisation", "deny"),),
            body=lambda c: {"id": f"org-{secrets.token_hex(5)}", "name": "Synthetic clinic"},
        ),
    ),
    ("POST", "/api/v1/people"): Case(
        Call(
            "officer",
            P("/api/v1/people"),
            204,
            (E(SYSTEM, "officer", "add_person", "permit"),),
            body=lambda c: {
                "id": f"p-{secrets.token_hex(5)}",
                "role": "staff",
                "organisation_id": c.world.home,
            },
        ),
        Call(
            "clinician",
            P("/api/v1/people"),
            404,
            (E(SYSTEM, "clinician", "add_person", "deny"),),
            body=lambda c: {
                "id": f"p-{secrets.token_hex(5)}",
                "role": "staff",
                "organisation_id": c.world.home,
            },
        ),
    ),
    ("GET", "/api/v1/clients"): Case(
        Call(
            "clinician",
            P("/api/v1/clients"),
            200,
            (E(SYSTEM, "clinician", "view_caseload", "permit"),),
        ),
        Call(None, P("/api/v1/clients"), 401, NO_ENTRY),
    ),
    ("POST", "/api/v1/clients"): Case(
        Call(
            "officer",
            P("/api/v1/clients"),
            201,
            (E("fresh", "officer", "create_client", "permit"),),
            body=lambda c: {
                "id": f"client-{secrets.token_hex(5)}",
                "organisation_id": c.world.home,
            },
        ),
        Call(
            "outsider",
            P("/api/v1/clients"),
            404,
            (E(SYSTEM, "outsider", "create_client", "deny"),),
            body=lambda c: {
                "id": f"client-{secrets.token_hex(5)}",
                "organisation_id": c.world.home,
            },
        ),
    ),
    ("POST", "/api/v1/clients/{client_id}/relationships"): Case(
        Call(
            "officer",
            P("/api/v1/clients/{other_client}/relationships"),
            201,
            (E("other_client", "officer", "add_relationship", "permit"),),
            body=lambda c: {"clinician_id": c.fresh_person(Role.CLINICIAN)},
        ),
        Call(
            "clinician",
            P("/api/v1/clients/{other_client}/relationships"),
            404,
            (E("other_client", "clinician", "add_relationship", "deny"),),
            body=lambda c: {"clinician_id": c.world.clinician},
        ),
    ),
    ("POST", "/api/v1/notices"): Case(
        Call(
            "officer",
            P("/api/v1/notices"),
            204,
            (E(SYSTEM, "officer", "publish_notice", "permit"),),
            body=lambda c: {"version": f"notice-{secrets.token_hex(5)}"},
        ),
        Call(
            "clinician",
            P("/api/v1/notices"),
            404,
            (E(SYSTEM, "clinician", "publish_notice", "deny"),),
            body=lambda c: {"version": f"notice-{secrets.token_hex(5)}"},
        ),
    ),
    ("GET", "/api/v1/clients/{client_id}"): Case(
        Call(
            "clinician",
            P("/api/v1/clients/{client}"),
            200,
            (E("client", "clinician", "view_client", "permit"),),
        ),
        Call(
            "colleague",
            P("/api/v1/clients/{client}"),
            404,
            (E("client", "colleague", "view_client", "deny"),),
        ),
    ),
    ("GET", "/api/v1/clients/{client_id}/records"): Case(
        Call(
            "clinician",
            P("/api/v1/clients/{client}/records"),
            200,
            (E("client", "clinician", "read", "permit", ROUTINE),),
        ),
        Call(
            "colleague",
            P("/api/v1/clients/{client}/records"),
            404,
            (E("client", "colleague", "read", "deny", NOTHING),),
        ),
    ),
    ("POST", "/api/v1/clients/{client_id}/records"): Case(
        Call(
            "clinician",
            P("/api/v1/clients/{client}/records"),
            201,
            (E("client", "clinician", "write", "permit"),),
            body=_note,
        ),
        Call(
            "colleague",
            P("/api/v1/clients/{client}/records"),
            404,
            (E("client", "colleague", "write", "deny"),),
            body=_note,
        ),
    ),
    ("POST", "/api/v1/records/{record_id}/versions"): Case(
        Call(
            "clinician",
            lambda c: f"/api/v1/records/{c.record_of('clinician')}/versions",
            201,
            (E("client", "clinician", "write", "permit"),),
            body=lambda c: {"text": "Synthetic correction."},
        ),
        Call(
            "colleague",
            lambda c: f"/api/v1/records/{c.record_of('clinician')}/versions",
            404,
            (E("client", "colleague", "write", "deny"),),
            body=lambda c: {"text": "Synthetic correction."},
        ),
    ),
    ("GET", "/api/v1/clients/{client_id}/consents"): Case(
        Call(
            "clinician",
            P("/api/v1/clients/{client}/consents"),
            200,
            (E("client", "clinician", "view_consents", "permit"),),
        ),
        Call(
            "colleague",
            P("/api/v1/clients/{client}/consents"),
            404,
            (E("client", "colleague", "view_consents", "deny"),),
        ),
    ),
    ("POST", "/api/v1/clients/{client_id}/consents"): Case(
        Call(
            "client",
            P("/api/v1/clients/{client}/consents"),
            201,
            (E("client", "client", "grant_consent", "permit"),),
            body=_consent_ask,
        ),
        Call(
            "colleague",
            P("/api/v1/clients/{client}/consents"),
            404,
            (E("client", "colleague", "grant_consent", "deny"),),
            body=_consent_ask,
        ),
    ),
    ("POST", "/api/v1/consents/{consent_id}/revoke"): Case(
        Call(
            "client",
            _consent_path("/api/v1/consents/{id}/revoke"),
            200,
            (E("client", "client", "revoke_consent", "permit"),),
        ),
        Call(
            "colleague",
            _consent_path("/api/v1/consents/{id}/revoke"),
            404,
            (E("client", "colleague", "revoke_consent", "deny"),),
        ),
    ),
    ("POST", "/api/v1/consents/{consent_id}/narrow"): Case(
        Call(
            "client",
            _consent_path("/api/v1/consents/{id}/narrow"),
            200,
            (E("client", "client", "narrow_consent", "permit"),),
            body=lambda c: {"categories": ["assessment"], "purposes": ["TREAT"]},
        ),
        Call(
            "colleague",
            _consent_path("/api/v1/consents/{id}/narrow"),
            404,
            (E("client", "colleague", "narrow_consent", "deny"),),
            body=lambda c: {"categories": ["assessment"], "purposes": ["TREAT"]},
        ),
    ),
    ("GET", "/api/v1/clients/{client_id}/notice"): Case(
        Call(
            "clinician",
            P("/api/v1/clients/{client}/notice"),
            200,
            (E("client", "clinician", "notice_status", "permit"),),
        ),
        Call(
            "outsider",
            P("/api/v1/clients/{client}/notice"),
            404,
            (E("client", "outsider", "notice_status", "deny"),),
        ),
    ),
    ("POST", "/api/v1/clients/{client_id}/notice/acknowledgment"): Case(
        Call(
            "client",
            P("/api/v1/clients/{client}/notice/acknowledgment"),
            204,
            (E("client", "client", "acknowledge_notice", "permit"),),
            body=lambda c: {"version": c.fresh_notice()},
        ),
        Call(
            "outsider",
            P("/api/v1/clients/{client}/notice/acknowledgment"),
            404,
            (E("client", "outsider", "acknowledge_notice", "deny"),),
            body=lambda c: {"version": c.fresh_notice()},
        ),
    ),
    ("GET", "/api/v1/clients/{client_id}/access-history"): Case(
        Call(
            "client",
            P("/api/v1/clients/{client}/access-history"),
            200,
            (E("client", "client", "access_history", "permit"),),
        ),
        Call(
            "colleague",
            P("/api/v1/clients/{client}/access-history"),
            404,
            (E("client", "colleague", "access_history", "deny"),),
        ),
    ),
    ("GET", "/api/v1/clients/{client_id}/accounting"): Case(
        Call(
            "client",
            P("/api/v1/clients/{client}/accounting"),
            200,
            (E("client", "client", "accounting", "permit"),),
        ),
        Call(
            "colleague",
            P("/api/v1/clients/{client}/accounting"),
            404,
            (E("client", "colleague", "accounting", "deny"),),
        ),
    ),
    ("GET", "/api/v1/audit/status"): Case(
        Call(
            "officer",
            P("/api/v1/audit/status"),
            200,
            (E(SYSTEM, "officer", "verify_audit", "permit"),),
        ),
        Call(
            "clinician",
            P("/api/v1/audit/status"),
            404,
            (E(SYSTEM, "clinician", "verify_audit", "deny"),),
        ),
    ),
    ("GET", "/api/v1/disclosures/rules"): Case(
        Call("clinician", P("/api/v1/disclosures/rules"), 200, NO_ENTRY),
        Call(None, P("/api/v1/disclosures/rules"), 401, NO_ENTRY),
    ),
    ("GET", "/api/v1/disclosures/queue"): Case(
        Call(
            "supervisor",
            P("/api/v1/disclosures/queue"),
            200,
            (E(SYSTEM, "supervisor", "disclosure_queue", "permit"),),
        ),
        Call(
            "clinician",
            P("/api/v1/disclosures/queue"),
            404,
            (E(SYSTEM, "clinician", "disclosure_queue", "deny"),),
        ),
    ),
    ("POST", "/api/v1/clients/{client_id}/disclosures"): Case(
        Call(
            "clinician",
            P("/api/v1/clients/{client}/disclosures"),
            201,
            (E("client", "clinician", "disclosure_open", "permit"),),
            body=_warning,
        ),
        Call(
            "outsider",
            P("/api/v1/clients/{client}/disclosures"),
            404,
            (E("client", "outsider", "disclosure_open", "deny"),),
            body=_warning,
        ),
    ),
    ("POST", "/api/v1/clients/{client_id}/disclosures/break-glass"): Case(
        Call(
            "clinician",
            P("/api/v1/clients/{client}/disclosures/break-glass"),
            201,
            (
                E("client", "clinician", "disclosure_package", "permit"),
                E("client", "ems", "disclose", "permit"),
                E("client", "clinician", "disclosure_break_glass", "permit"),
            ),
            body=_emergency,
        ),
        Call(
            "outsider",
            P("/api/v1/clients/{client}/disclosures/break-glass"),
            404,
            (E("client", "outsider", "disclosure_break_glass", "deny"),),
            body=_emergency,
        ),
    ),
    ("GET", "/api/v1/disclosures/{request_id}"): Case(
        Call(
            "clinician",
            _request("/api/v1/disclosures/{id}"),
            200,
            (E("client", "clinician", "disclosure_view", "permit"),),
        ),
        Call(
            "colleague",
            _request("/api/v1/disclosures/{id}"),
            404,
            (E("client", "colleague", "disclosure_view", "deny"),),
        ),
    ),
    ("POST", "/api/v1/disclosures/{request_id}/submit"): Case(
        Call(
            "clinician",
            _request("/api/v1/disclosures/{id}/submit"),
            200,
            (E("client", "clinician", "disclosure_submit", "permit"),),
        ),
        Call(
            "colleague",
            _request("/api/v1/disclosures/{id}/submit"),
            404,
            (E("client", "colleague", "disclosure_submit", "deny"),),
        ),
    ),
    ("POST", "/api/v1/disclosures/{request_id}/approve"): Case(
        Call(
            "supervisor",
            _request("/api/v1/disclosures/{id}/approve", submit=True),
            200,
            (E("client", "supervisor", "disclosure_approve", "permit"),),
        ),
        Call(
            "colleague",
            _request("/api/v1/disclosures/{id}/approve", submit=True),
            404,
            (E("client", "colleague", "disclosure_approve", "deny"),),
        ),
    ),
    ("POST", "/api/v1/disclosures/{request_id}/reject"): Case(
        Call(
            "supervisor",
            _request("/api/v1/disclosures/{id}/reject", submit=True),
            200,
            (E("client", "supervisor", "disclosure_reject", "permit"),),
            body=lambda c: {"reason": "Synthetic reason: not imminent."},
        ),
        Call(
            "colleague",
            _request("/api/v1/disclosures/{id}/reject", submit=True),
            404,
            (E("client", "colleague", "disclosure_reject", "deny"),),
            body=lambda c: {"reason": "Synthetic reason: not imminent."},
        ),
    ),
    ("POST", "/api/v1/disclosures/{request_id}/withdraw"): Case(
        Call(
            "clinician",
            _request("/api/v1/disclosures/{id}/withdraw"),
            200,
            (E("client", "clinician", "disclosure_withdraw", "permit"),),
        ),
        Call(
            "colleague",
            _request("/api/v1/disclosures/{id}/withdraw"),
            404,
            (E("client", "colleague", "disclosure_withdraw", "deny"),),
        ),
    ),
    ("POST", "/api/v1/disclosures/{request_id}/release"): Case(
        Call(
            "clinician",
            _request("/api/v1/disclosures/{id}/release", approve=True),
            200,
            (
                E("client", "police", "disclose", "permit"),
                E("client", "clinician", "disclosure_disclose", "permit"),
            ),
        ),
        Call(
            "colleague",
            _request("/api/v1/disclosures/{id}/release", approve=True),
            404,
            (E("client", "colleague", "disclosure_disclose", "deny"),),
        ),
    ),
    ("POST", "/api/v1/disclosures/{request_id}/review"): Case(
        Call(
            "supervisor",
            lambda c: f"/api/v1/disclosures/{c.break_glass()}/review",
            200,
            (E("client", "supervisor", "disclosure_review", "permit"),),
            body=lambda c: {"outcome": "upheld", "note": "Synthetic finding: warranted."},
        ),
        Call(
            "colleague",
            lambda c: f"/api/v1/disclosures/{c.break_glass()}/review",
            404,
            (E("client", "colleague", "disclosure_review", "deny"),),
            body=lambda c: {"outcome": "upheld", "note": "Synthetic finding: warranted."},
        ),
    ),
    ("POST", "/api/v1/disclosures/{request_id}/client-told"): Case(
        Call(
            "clinician",
            lambda c: f"/api/v1/disclosures/{c.released_request()}/client-told",
            200,
            (E("client", "clinician", "disclosure_client_told", "permit"),),
        ),
        Call(
            "colleague",
            lambda c: f"/api/v1/disclosures/{c.released_request()}/client-told",
            404,
            (E("client", "colleague", "disclosure_client_told", "deny"),),
        ),
    ),
    ("POST", "/api/v1/disclosures/{request_id}/notice-withheld"): Case(
        Call(
            "officer",
            lambda c: f"/api/v1/disclosures/{c.released_request()}/notice-withheld",
            200,
            (E("client", "officer", "disclosure_notice_withheld", "permit"),),
            body=lambda c: {"reason": "risk_to_others", "review_on": _later(c)},
        ),
        Call(
            "colleague",
            lambda c: f"/api/v1/disclosures/{c.released_request()}/notice-withheld",
            404,
            (E("client", "colleague", "disclosure_notice_withheld", "deny"),),
            body=lambda c: {"reason": "risk_to_others", "review_on": _later(c)},
        ),
    ),
    ("GET", "/fhir/metadata"): Case(
        Call(None, P("/fhir/metadata"), 200, NO_ENTRY),
        "the capability statement is public: no one is refused",
    ),
    ("GET", "/fhir/Patient/{patient_id}"): Case(
        Call(
            "clinician",
            P("/fhir/Patient/{client}"),
            200,
            (E("client", "clinician", "view_client", "permit"),),
        ),
        Call(
            "colleague",
            P("/fhir/Patient/{client}"),
            404,
            (E("client", "colleague", "view_client", "deny"),),
        ),
    ),
    ("GET", "/fhir/Consent/{consent_id}"): Case(
        Call(
            "clinician",
            P("/fhir/Consent/consent-{client}"),
            200,
            (E("client", "clinician", "view_consents", "permit"),),
        ),
        Call(
            "colleague",
            P("/fhir/Consent/consent-{client}"),
            404,
            (E("client", "colleague", "view_consents", "deny"),),
        ),
    ),
    ("PUT", "/fhir/Consent/{consent_id}"): Case(
        Call(
            "client",
            _fhir_consent_path,
            200,
            (
                # The stored consent is read to compare it with the PUT, then revoked.
                E("client", "client", "view_consents", "permit"),
                E("client", "client", "revoke_consent", "permit"),
            ),
            body=_fhir_update,
        ),
        Call(
            "colleague",
            _fhir_consent_path,
            404,
            (E("client", "colleague", "view_consents", "deny"),),
            body=_fhir_update,
        ),
    ),
    ("GET", "/fhir/Consent"): Case(
        Call(
            "clinician",
            P("/fhir/Consent?patient={client}"),
            200,
            (E("client", "clinician", "view_consents", "permit"),),
        ),
        Call(
            "colleague",
            P("/fhir/Consent?patient={client}"),
            404,
            (E("client", "colleague", "view_consents", "deny"),),
        ),
    ),
    ("POST", "/fhir/Consent"): Case(
        Call(
            "client",
            P("/fhir/Consent"),
            201,
            (E("client", "client", "grant_consent", "permit"),),
            body=_fhir_consent,
        ),
        Call(
            "colleague",
            P("/fhir/Consent"),
            404,
            (E("client", "colleague", "grant_consent", "deny"),),
            body=_fhir_consent,
        ),
    ),
    ("GET", "/fhir/AuditEvent"): Case(
        Call(
            "client",
            P("/fhir/AuditEvent?patient={client}"),
            200,
            (E("client", "client", "access_history", "permit"),),
        ),
        Call(
            "colleague",
            P("/fhir/AuditEvent?patient={client}"),
            404,
            (E("client", "colleague", "access_history", "deny"),),
        ),
    ),
}


def _later(c: Ctx) -> str:
    return (c.world.clock.now() + timedelta(days=30)).date().isoformat()


def _person_without_account(c: Ctx) -> str:
    w = c.world
    person = f"p-{secrets.token_hex(5)}"
    practice.add_actor(w.deps, Actor(person, Role.STAFF, w.home), by=w.officer)
    return person


@pytest.fixture(scope="module", params=["sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ctx]:
    """One practice for the module, on SQLite, with recipients outside it."""
    with shared_world(request, tmp_path_factory) as w:
        tag = secrets.token_hex(3)
        police, ems = f"police-{tag}", f"ems-{tag}"
        for kind, person, role in (("pd", police, Role.RECIPIENT), ("ems", ems, Role.RECIPIENT)):
            org = f"org-{kind}-{tag}"
            practice.add_organisation(w.deps, Organisation(org, f"{kind} {tag}"), by=w.officer)
            practice.add_actor(w.deps, Actor(person, role, org), by=w.officer)
        yield Ctx(w, police, ems)


def _heads(c: Ctx) -> dict[str, int]:
    with c.world.deps.engine.connect() as conn:
        rows = conn.execute(
            select(t.audit_entries.c.chain_id, func.max(t.audit_entries.c.seq)).group_by(
                t.audit_entries.c.chain_id
            )
        )
        return {r[0]: int(r[1]) for r in rows}


def _added(c: Ctx, before: dict[str, int]) -> list[dict[str, Any]]:
    with c.world.deps.engine.connect() as conn:
        rows = conn.execute(select(t.audit_entries).order_by(t.audit_entries.c.at))
        return [dict(r._mapping) for r in rows if r.seq > before.get(r.chain_id, 0)]


def _name(c: Ctx, value: str | None) -> str:
    """The world attribute holding ``value`` (``police``, ``ems`` for the recipients, FRESH
    for an id made for the call)."""
    if value == SYSTEM_CHAIN:
        return SYSTEM
    known = {**{k: v for k, v in vars(c.world).items() if isinstance(v, str)},
             "police": c.police, "ems": c.ems}  # fmt: skip
    return next((name for name, held in known.items() if held == value), FRESH)


def _observed(c: Ctx, entry: dict[str, Any], expected: E | None) -> E:
    permitted = None
    if expected is not None and expected.permitted is not None:
        permitted = frozenset(x for x in entry["permitted"].split(",") if x)
    return E(
        _name(c, entry["chain_id"]), _name(c, entry["actor_id"]), entry["action"],
        entry["effect"], permitted,
    )  # fmt: skip


def _run(c: Ctx, method: str, call: Call) -> None:
    path = call.path(c)
    body = call.body(c)
    browser = call.browser(c) if call.browser is not None else c.as_(call.who)
    before = _heads(c)
    answer = browser.request(method, path, json=body)
    assert answer.status_code == call.status, answer.text
    added = _added(c, before)
    expected = list(call.expect)
    got = [_observed(c, e, expected[i] if i < len(expected) else None) for i, e in enumerate(added)]
    assert got == expected, f"{method} {path}: the audit log got {got!r}"


def _operations() -> set[tuple[str, str]]:
    from confide.api.app import create_app
    from confide.services.deps import Deps
    from confide.store.engine import make_engine
    from confide.vault import KeyRing, LocalKek, Vault

    kek = LocalKek("kek-schema", secrets.token_bytes(32))
    deps = Deps(
        engine=make_engine("sqlite://"), vault=Vault(KeyRing({kek.kek_id: kek}, kek.kek_id)),
        clock=None,  # type: ignore[arg-type]
    )  # fmt: skip
    schema = create_app(deps).openapi()
    return {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}


def test_every_operation_in_the_schema_has_its_audit_decided() -> None:
    operations = _operations()
    assert len(operations) >= 50
    assert sorted(operations - set(CASES)) == [], "decide what these operations audit"
    assert sorted(set(CASES) - operations) == [], "these rows name no operation"


@pytest.mark.parametrize("key", list(CASES), ids=[f"{m} {p}" for m, p in CASES])
def test_the_allowed_call_leaves_exactly_its_entries(ctx: Ctx, key: tuple[str, str]) -> None:
    _run(ctx, key[0], CASES[key].allowed)


@pytest.mark.parametrize("key", list(CASES), ids=[f"{m} {p}" for m, p in CASES])
def test_the_denied_call_leaves_exactly_its_entries(ctx: Ctx, key: tuple[str, str]) -> None:
    denied = CASES[key].denied
    if isinstance(denied, str):
        assert denied  # the reason no one is refused
        return
    _run(ctx, key[0], denied)
    assert not [e for e in denied.expect if e.effect == "permit"], "a denial never permits"


def test_a_read_of_routine_entries_and_psychotherapy_notes_logs_each_decision_once(
    ctx: Ctx,
) -> None:
    # Psychotherapy notes are decided on their own (HIPAA 164.508(a)(2)): two decisions, two
    # entries, each with what it permitted; the colleague is refused both, each on record.
    path = P("/api/v1/clients/{client}/records?category=progress_note&category=psychotherapy_note")
    _run(ctx, "GET", Call("clinician", path, 200, (
        E("client", "clinician", "read", "permit", frozenset({"progress_note"})),
        E("client", "clinician", "read", "permit", frozenset({"psychotherapy_note"})),
    )))  # fmt: skip
    _run(ctx, "GET", Call("colleague", path, 404, (
        E("client", "colleague", "read", "deny", NOTHING),
        E("client", "colleague", "read", "deny", NOTHING),
    )))  # fmt: skip
