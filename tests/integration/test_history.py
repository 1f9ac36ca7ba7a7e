"""A client's access history and accounting of disclosures (decision 0012), on SQLite and
PostgreSQL: who may ask, what is shown, what HIPAA 45 CFR 164.528 excludes and suspends, and the
PDF and FHIR exports."""

from __future__ import annotations

import io
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader
from sqlalchemy import select

from confide.domain import (
    Actor,
    Category,
    Client,
    Consent,
    InvalidValue,
    Organisation,
    Period,
    Purpose,
    Role,
)
from confide.services import consents, history, practice, records
from confide.services.deps import Deps, new_id
from confide.services.errors import NotFoundOrDenied
from confide.services.history import StatementForm, Suspension
from confide.services.history_export import history_fhir_bundle, history_pdf, latin1
from confide.store import schema as t
from confide.store.access_log import AccessEvent
from tests.integration.conftest import T0, Practice

NOTE = "Synthetic note: the client spoke about a quarrel with their sister."
DIAGNOSIS = frozenset({Category.DIAGNOSIS})


@dataclass(frozen=True)
class Outside:
    """People outside the practice whom disclosures can reach without consent."""

    court: str
    judge: str
    agency: str
    investigator: str
    other_client: str


@pytest.fixture
def outside(deps: Deps, small_practice: Practice) -> Outside:
    p = small_practice
    tag = secrets.token_hex(3)
    o = Outside(
        f"court-{tag}", f"judge-{tag}", f"cps-{tag}", f"investigator-{tag}", f"client2-{tag}"
    )
    practice.add_organisation(deps, Organisation(o.court, "County court"), by=p.officer)
    practice.add_organisation(
        deps, Organisation(o.agency, "Child protective services"), by=p.officer
    )
    practice.add_actor(deps, Actor(o.judge, Role.RECIPIENT, o.court), by=p.officer)
    practice.add_actor(deps, Actor(o.investigator, Role.RECIPIENT, o.agency), by=p.officer)
    practice.create_client(deps, Client(o.other_client, p.home), by=p.clinician)
    return o


def _append(  # the fields of one event, as a workflow not built yet would log it
    deps: Deps,
    p: Practice,
    *,
    actor: str,
    rule: str,
    purpose: Purpose,
    at: datetime | None = None,
    categories: frozenset[Category] = DIAGNOSIS,
) -> str:
    request_id = new_id("req")
    at = deps.clock.now() if at is None else at
    with deps.engine.begin() as c:
        deps.access_log.append(
            c,
            AccessEvent(
                at=at,
                request_id=request_id,
                actor_id=actor,
                client_id=p.client,
                action="read",
                purpose=purpose,
                categories=categories,
                effect="permit",
                rule=rule,
                permitted=categories,
                reasons=tuple(f"{c.value}={rule}" for c in categories),
            ),
        )
    return request_id


def _read(deps: Deps, actor: str, client: str, purpose: Purpose) -> None:
    records.read_records(
        deps, actor_id=actor, client_id=client, categories=DIAGNOSIS, purpose=purpose
    )


def _log(deps: Deps, client: str, action: str) -> list[tuple[str, str, str]]:
    with deps.engine.connect() as c:
        rows = c.execute(
            select(t.audit_entries.c.actor_id, t.audit_entries.c.effect, t.audit_entries.c.rule)
            .where(t.audit_entries.c.chain_id == client, t.audit_entries.c.action == action)
            .order_by(t.audit_entries.c.seq)
        ).all()
    return [(str(a), str(e), str(r)) for a, e, r in rows]


def _consent_to_outsider(deps: Deps, p: Practice) -> None:
    consents.grant_consent(
        deps,
        Consent(
            f"consent-{p.client}",
            p.client,
            p.outsider,
            DIAGNOSIS,
            frozenset({Purpose.COC}),
            Period(T0),
        ),
        by=p.client,
    )


def _story(deps: Deps, p: Practice, o: Outside) -> None:
    """Treatment, a refusal, consent-based and own-record reads, and disclosures without consent."""
    records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=Category.DIAGNOSIS, text=NOTE
    )
    _read(deps, p.clinician, p.client, Purpose.TREAT)
    with pytest.raises(NotFoundOrDenied):
        _read(deps, p.colleague, p.client, Purpose.TREAT)
    _consent_to_outsider(deps, p)
    _read(deps, p.outsider, p.client, Purpose.COC)
    _read(deps, p.client, p.client, Purpose.PATRQT)
    _append(
        deps,
        p,
        actor=o.judge,
        rule="permit.exception_disclosure",
        purpose=Purpose.HLEGAL,
        categories=frozenset({Category.DIAGNOSIS, Category.TREATMENT_PLAN}),
    )
    _append(
        deps,
        p,
        actor=p.colleague,
        rule="permit.break_glass",
        purpose=Purpose.BTG,
        categories=frozenset({Category.DEMOGRAPHICS, Category.RISK_ASSESSMENT}),
    )


# Who may ask ------------------------------------------------------------------------------


def test_the_client_sees_permitted_and_refused_accesses_with_role_and_purpose(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=Category.DIAGNOSIS, text=NOTE
    )
    _read(deps, p.clinician, p.client, Purpose.TREAT)
    with pytest.raises(NotFoundOrDenied):
        _read(deps, p.colleague, p.client, Purpose.TREAT)

    seen = history.access_history(deps, client_id=p.client, by=p.client)

    times = [e.at for e in seen.entries]
    assert times == sorted(times, reverse=True)
    assert seen.chain_intact
    reads = [
        (e.actor_id, e.actor_role, e.why, e.allowed, e.rule)
        for e in seen.entries
        if e.action == "read"
    ]
    assert reads == [
        (p.colleague, "clinician", "treatment", False, "deny.default"),
        (p.clinician, "clinician", "treatment", True, "permit.treating_clinician"),
    ]
    refused = next(e for e in seen.entries if e.actor_id == p.colleague)
    assert refused.who == f"{p.colleague} (clinician, Home practice)"
    assert refused.what == "read: diagnoses"
    assert refused.outcome.startswith("refused")
    assert {"add_relationship", "write"} <= {e.action for e in seen.entries}
    # The view is itself an access: the next view shows it.
    again = history.access_history(deps, client_id=p.client, by=p.client)
    newest = again.entries[0]
    assert (newest.action, newest.actor_id, newest.allowed) == (
        "access_history",
        p.client,
        True,
    )
    assert newest.rule == "history.client_own_log"


def test_since_keeps_only_the_later_entries(deps: Deps, small_practice: Practice) -> None:
    p = small_practice
    cut = deps.clock.now()
    _read(deps, p.clinician, p.client, Purpose.TREAT)
    seen = history.access_history(deps, client_id=p.client, by=p.client, since=cut)
    assert [e.action for e in seen.entries] == ["read"]
    with pytest.raises(InvalidValue, match="since"):
        history.access_history(
            deps, client_id=p.client, by=p.client, since=cut.replace(tzinfo=None)
        )


@pytest.mark.parametrize("asker", ["clinician", "outsider", "other_client", "officer_elsewhere"])
def test_anyone_but_the_client_and_their_privacy_officer_is_refused_and_it_is_logged(
    deps: Deps, small_practice: Practice, outside: Outside, asker: str
) -> None:
    p = small_practice
    elsewhere = f"officer-{p.other}"
    practice.add_actor(deps, Actor(elsewhere, Role.CLINICIAN, p.other), by=p.officer)
    who = {
        "clinician": p.clinician,
        "outsider": p.outsider,
        "other_client": outside.other_client,
        "officer_elsewhere": elsewhere,
    }[asker]

    with pytest.raises(NotFoundOrDenied):
        history.access_history(deps, client_id=p.client, by=who)
    with pytest.raises(NotFoundOrDenied):
        history.accounting_of_disclosures(deps, client_id=p.client, by=who)

    for action in ("access_history", "accounting"):
        [(actor, effect, rule)] = _log(deps, p.client, action)
        assert (actor, effect) == (who, "deny")
        assert rule.startswith("deny.history.")


def test_an_unknown_client_is_refused_like_a_forbidden_one(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    with pytest.raises(NotFoundOrDenied) as unknown:
        history.access_history(deps, client_id=f"nobody-{p.client}", by=p.officer)
    with pytest.raises(NotFoundOrDenied) as forbidden:
        history.access_history(deps, client_id=p.client, by=p.clinician)
    assert str(unknown.value) == str(forbidden.value)
    assert _log(deps, "system", "access_history")[-1] == (
        p.officer,
        "deny",
        "deny.history.unknown_actor_or_client",
    )


def test_the_privacy_officer_may_ask_and_another_client_is_not_named_to_the_client(
    deps: Deps, small_practice: Practice, outside: Outside
) -> None:
    p = small_practice
    with pytest.raises(NotFoundOrDenied):
        _read(deps, outside.other_client, p.client, Purpose.PATRQT)

    by_officer = history.access_history(deps, client_id=p.client, by=p.officer)
    by_client = history.access_history(deps, client_id=p.client, by=p.client)
    history.accounting_of_disclosures(deps, client_id=p.client, by=p.officer)

    assert outside.other_client in {e.actor_id for e in by_officer.entries}
    snooping = [e for e in by_client.entries if e.action == "read"]
    assert [(e.actor_id, e.who, e.allowed) for e in snooping] == [
        (None, history.ANOTHER_CLIENT, False)
    ]
    assert outside.other_client not in json.dumps(history_fhir_bundle(by_client, p.client))
    assert _log(deps, p.client, "access_history")[0] == (
        p.officer,
        "permit",
        "history.privacy_officer",
    )
    assert _log(deps, p.client, "accounting") == [(p.officer, "permit", "history.privacy_officer")]


# The accounting of disclosures (45 CFR 164.528) -------------------------------------------


def test_the_accounting_shows_disclosures_without_consent_and_leaves_out_what_the_rule_excludes(
    deps: Deps, small_practice: Practice, outside: Outside
) -> None:
    p = small_practice
    _story(deps, p, outside)
    _append(  # seven years ago: beyond the six years 164.528(a)(1) covers
        deps,
        p,
        actor=outside.judge,
        rule="permit.exception_disclosure",
        purpose=Purpose.HLEGAL,
        at=T0 - timedelta(days=7 * 365),
    )
    _append(  # five years ago: within them
        deps,
        p,
        actor=outside.investigator,
        rule="permit.exception_disclosure",
        purpose=Purpose.PUBHLTH,
        at=T0 - timedelta(days=5 * 365),
        categories=frozenset({Category.PROGRESS_NOTE}),
    )

    accounting = history.accounting_of_disclosures(deps, client_id=p.client, by=p.client)

    shown = [(d.recipient_id, d.rule, d.purpose) for d in accounting.disclosures]
    assert shown == [
        (outside.investigator, "permit.exception_disclosure", Purpose.PUBHLTH),
        (outside.judge, "permit.exception_disclosure", Purpose.HLEGAL),
        (p.colleague, "permit.break_glass", Purpose.BTG),
    ]
    assert not accounting.withheld
    court = accounting.disclosures[1]
    assert court.recipient == f"{outside.judge} (recipient, County court)"
    assert court.what == "diagnoses, treatment plan"
    assert "164.512(e)" in court.ground
    assert "164.512(b)" in accounting.disclosures[0].ground
    assert "break-the-glass" in accounting.disclosures[2].ground
    # Treatment, consent-based and own-record reads are in the history, not in the accounting.
    every = history.access_history(deps, client_id=p.client, by=p.client)
    rules = {e.rule for e in every.entries if e.action == "read" and e.allowed}
    assert {"permit.treating_clinician", "permit.consent", "permit.client_own_record"} <= rules
    assert accounting.period_start == accounting.generated_at.replace(
        year=accounting.generated_at.year - 6
    )


def test_a_suspension_withholds_the_agencys_disclosures_until_it_ends(
    deps: Deps, small_practice: Practice, outside: Outside
) -> None:
    p = small_practice
    _story(deps, p, outside)
    _append(
        deps,
        p,
        actor=outside.investigator,
        rule="permit.exception_disclosure",
        purpose=Purpose.PUBHLTH,
        categories=frozenset({Category.PROGRESS_NOTE}),
    )
    written = Suspension(outside.agency, T0 + timedelta(days=1), T0 + timedelta(days=90))

    def recipients(at: datetime, suspension: Suspension) -> tuple[list[str], bool]:
        a = history.accounting_of_disclosures(
            deps, client_id=p.client, by=p.client, now=at, suspensions=[suspension]
        )
        return [d.recipient_id for d in a.disclosures], a.withheld

    during = recipients(T0 + timedelta(days=10), written)
    assert during == ([outside.judge, p.colleague], True)
    after = recipients(T0 + timedelta(days=91), written)
    assert after == ([outside.judge, p.colleague, outside.investigator], False)
    # An oral statement suspends for at most 30 days unless a written one follows.
    oral = Suspension(
        outside.agency, T0 + timedelta(days=1), T0 + timedelta(days=90), StatementForm.ORAL
    )
    assert recipients(T0 + timedelta(days=20), oral)[1] is True
    assert recipients(T0 + timedelta(days=32), oral) == after
    with pytest.raises(InvalidValue, match=r"suspension\.until"):
        Suspension(outside.agency, T0, T0)


# The exports ------------------------------------------------------------------------------


def test_the_pdf_lists_the_accesses_and_the_accounting_and_no_clinical_text(
    deps: Deps, small_practice: Practice, outside: Outside
) -> None:
    p = small_practice
    _story(deps, p, outside)
    seen = history.access_history(deps, client_id=p.client, by=p.client)
    accounting = history.accounting_of_disclosures(
        deps,
        client_id=p.client,
        by=p.client,
        suspensions=[Suspension(f"police-{p.client}", T0, T0 + timedelta(days=3650))],
    )

    pdf = history_pdf(seen, accounting)

    assert pdf.startswith(b"%PDF")
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )
    assert "Who has seen your record" in text
    assert p.client in text
    assert f"{p.colleague} (clinician, Home practice)" in text
    assert "refused - nothing on file permits it" in text
    assert "allowed - the treating clinician" in text
    assert "Accounting of disclosures" in text
    assert f"{outside.judge} (recipient, County court)" in text
    assert "a legal proceeding, without consent as the law allows" in text
    assert "through a consent" in text  # the exclusions, explained
    assert "temporarily left out" not in text  # the suspension names nobody disclosed to
    assert NOTE not in text
    assert "quarrel" not in text
    assert history_pdf(seen, accounting) == pdf  # the same history, the same bytes


def test_the_pdf_says_when_entries_are_withheld_and_survives_any_characters(
    deps: Deps, small_practice: Practice, outside: Outside
) -> None:
    p = small_practice
    odd = f"odd-{p.client}"
    practice.add_organisation(deps, Organisation(odd, "Клиника “Север” — 北京 ✓"), by=p.officer)
    practice.add_actor(deps, Actor(f"x-{p.client}", Role.CLINICIAN, odd), by=p.officer)
    _append(
        deps,
        p,
        actor=f"x-{p.client}",
        rule="permit.exception_disclosure",
        purpose=Purpose.THREAT,
    )
    _append(
        deps,
        p,
        actor=outside.investigator,
        rule="permit.exception_disclosure",
        purpose=Purpose.PUBHLTH,
    )
    seen = history.access_history(deps, client_id=p.client, by=p.client)
    accounting = history.accounting_of_disclosures(
        deps,
        client_id=p.client,
        by=p.client,
        suspensions=[Suspension(outside.agency, T0, T0 + timedelta(days=3650))],
    )
    assert accounting.withheld

    text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(history_pdf(seen, accounting))).pages
    )
    assert "x-" + p.client in text
    assert '"Север"' not in text
    assert "temporarily left out" in " ".join(text.split())
    assert outside.investigator not in text.split("Accounting of disclosures")[1]
    assert latin1("“a” — b ✓ é") == '"a" - b ? é'


def test_the_fhir_bundle_holds_one_audit_event_per_entry(
    deps: Deps, small_practice: Practice, outside: Outside
) -> None:
    p = small_practice
    _story(deps, p, outside)
    seen = history.access_history(deps, client_id=p.client, by=p.client)

    data = history_fhir_bundle(seen, p.client)
    bundle = Bundle.model_validate(data)

    assert bundle.type == "collection"
    events = [e.resource for e in bundle.entry or []]
    assert len(events) == len(seen.entries)
    assert all(isinstance(ev, AuditEvent) for ev in events)
    by_request = {
        d.valueString: ev
        for ev in events
        for ent in ev.entity or []
        for d in ent.detail or []
        if d.type == "request"
    }
    for entry in seen.entries:
        ev = by_request[entry.request_id]
        assert ev.outcome == ("0" if entry.allowed else "4")
        assert (ev.type.system, ev.type.code) == (
            "http://dicom.nema.org/resources/ontology/DCM",
            "110110",
        )
        assert ev.entity[0].what.reference == f"Patient/{p.client}"
        assert ev.agent[0].requestor is True
    treatment = next(
        by_request[e.request_id] for e in seen.entries if e.rule == "permit.treating_clinician"
    )
    assert treatment.action in {"R", "C"}
    [purpose] = treatment.purposeOfEvent
    assert (purpose.coding[0].system, purpose.coding[0].code) == (
        "http://terminology.hl7.org/CodeSystem/v3-ActReason",
        "TREAT",
    )
    assert treatment.agent[0].who.reference == f"Practitioner/{p.clinician}"
    refused = [ev for ev in events if ev.outcome == "4"]
    assert len(refused) == 1
    assert NOTE not in json.dumps(data)
    with pytest.raises(ValueError, match="another client"):
        history_fhir_bundle(seen, outside.other_client)
