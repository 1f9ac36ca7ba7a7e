"""Rule packs: the shipped packs load and differ as documented (docs/rule-packs.md), an
extending pack takes what it leaves out from its parent, and every malformed pack is refused
with an error that names the file and the key."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from confide.domain import ExceptionGround, InvalidValue, Role, VictimKind
from confide.domain.disclosures import RecipientKind
from confide.policy.rule_packs import (
    APPROVER_ROLES,
    GROUND_KEYS,
    Duty,
    RulePack,
    RulePackError,
    key_name,
    parse_pack,
)
from confide.services.rule_packs import installed_pack, installed_packs, load_rule_pack

RISK_SELF = ExceptionGround.IMMINENT_RISK_SELF
RISK_OTHERS = ExceptionGround.IMMINENT_RISK_OTHERS
ABUSE = ExceptionGround.ABUSE_NEGLECT
COURT = ExceptionGround.COURT_ORDER
CHILD = VictimKind.CHILD
ELDER = VictimKind.ELDER
DEPENDENT = VictimKind.DEPENDENT_ADULT
SHIPPED = ("us-federal", "us-ca", "us-tx")


def parse(text: str) -> RulePack:
    return parse_pack(text, "x.toml", installed_pack)


def refused(text: str) -> RulePackError:
    with pytest.raises(RulePackError) as caught:
        parse(text)
    return caught.value


def header(**fields: str | None) -> str:
    """The top-level keys of a pack extending us-federal; a None value leaves the key out."""
    values: dict[str, str | None] = {
        "schema": "1",
        "id": '"x"',
        "name": '"Synthetic pack"',
        "extends": '"us-federal"',
        "checked": "2026-11-28",
    }
    values.update(fields)
    return "".join(f"{k} = {v}\n" for k, v in values.items() if v is not None)


SOURCE = """
[[sources]]
cite = "Synthetic Code § 1"
title = "A synthetic statute"
url = "https://example.org/code/1"
"""

RULE_FIELDS = {
    "duty": '"permissive"',
    "approvers": '["privacy_officer"]',
    "recipients": '["court"]',
    "cite": '"Synthetic Code § 1"',
    "summary": '"A synthetic summary."',
}


def base_pack(*, omit: tuple[str, str] | None = None, break_glass: bool = True) -> str:
    """A complete pack that extends no other; ``omit`` leaves one key out of one ground."""
    text = header(extends=None) + SOURCE
    for key in GROUND_KEYS:
        name = key_name(key)
        text += f"\n[{name}]\n"
        for field, value in RULE_FIELDS.items():
            if omit != (name, field):
                text += f"{field} = {value}\n"
    if break_glass:
        text += "\n[break_glass]\nmax_window_minutes = 30\nreview_within_hours = 12\n"
    return text


# --- the shipped packs --------------------------------------------------------------------


def test_confide_ships_the_federal_baseline_and_two_states() -> None:
    assert installed_packs() == ["us-ca", "us-federal", "us-tx"]


@pytest.mark.parametrize("pack_id", SHIPPED)
def test_each_shipped_pack_loads_with_a_rule_for_every_ground_and_victim_kind(
    pack_id: str,
) -> None:
    pack = installed_pack(pack_id)

    assert pack.id == pack_id
    assert pack.checked == date(2026, 11, 28)
    assert set(pack.grounds) == set(GROUND_KEYS)
    for rule in pack.grounds.values():
        assert rule.approvers
        assert rule.approvers <= APPROVER_ROLES
        assert rule.recipients
        assert rule.summary
        assert pack.source(rule.cite).cite == rule.cite


@pytest.mark.parametrize("pack_id", SHIPPED)
def test_every_source_of_a_shipped_pack_links_over_https_or_not_at_all(pack_id: str) -> None:
    for source in installed_pack(pack_id).sources:
        assert source.url is None or source.url.startswith("https://"), source


def test_the_state_packs_extend_the_federal_baseline() -> None:
    assert installed_pack("us-federal").extends is None
    assert installed_pack("us-ca").extends == "us-federal"
    assert installed_pack("us-tx").extends == "us-federal"


@pytest.mark.parametrize("pack_id", SHIPPED)
def test_break_the_glass_lasts_an_hour_and_is_reviewed_within_a_day_in_every_pack(
    pack_id: str,
) -> None:
    pack = installed_pack(pack_id)

    assert pack.break_glass_window == timedelta(minutes=60)
    assert pack.break_glass_review_within == timedelta(hours=24)


@pytest.mark.parametrize("pack_id", SHIPPED)
def test_the_approvers_are_those_of_the_documented_table(pack_id: str) -> None:
    pack = installed_pack(pack_id)
    both = {Role.SUPERVISOR, Role.PRIVACY_OFFICER}

    assert pack.rule(RISK_SELF).approvers == both
    assert pack.rule(RISK_OTHERS).approvers == both
    assert pack.rule(COURT).approvers == both
    for kind in VictimKind:
        assert pack.rule(ABUSE, kind).approvers == {Role.PRIVACY_OFFICER}


def test_the_federal_baseline_makes_nothing_mandatory_and_sets_no_deadline() -> None:
    pack = installed_pack("us-federal")

    for key, rule in pack.grounds.items():
        assert rule.duty is Duty.PERMISSIVE, key
        assert rule.report_within is None, key


def test_california_makes_the_duty_to_protect_mandatory_and_lets_the_victim_be_warned() -> None:
    rule = installed_pack("us-ca").rule(RISK_OTHERS)

    assert rule.duty is Duty.MANDATORY
    assert rule.cite == "Cal. Civ. Code § 43.92"
    assert RecipientKind.POTENTIAL_VICTIM in rule.recipients
    assert RecipientKind.LAW_ENFORCEMENT in rule.recipients


def test_texas_permits_a_risk_disclosure_only_to_medical_or_law_enforcement_personnel() -> None:
    pack = installed_pack("us-tx")
    medical_or_police = {RecipientKind.EMERGENCY_SERVICES, RecipientKind.LAW_ENFORCEMENT}

    for ground in (RISK_SELF, RISK_OTHERS):
        rule = pack.rule(ground)
        assert rule.duty is Duty.PERMISSIVE
        assert rule.recipients == medical_or_police
        assert RecipientKind.POTENTIAL_VICTIM not in rule.recipients
        assert RecipientKind.FAMILY_OR_GUARDIAN not in rule.recipients
        assert rule.cite == "Tex. Health & Safety Code § 611.004(a)(2)"


def test_the_federal_baseline_lets_the_victim_and_the_family_be_told() -> None:
    pack = installed_pack("us-federal")

    assert RecipientKind.POTENTIAL_VICTIM in pack.rule(RISK_OTHERS).recipients
    assert RecipientKind.FAMILY_OR_GUARDIAN in pack.rule(RISK_SELF).recipients


@pytest.mark.parametrize(
    ("pack_id", "kind", "hours"),
    [
        ("us-ca", CHILD, 36),
        ("us-ca", ELDER, 48),
        ("us-ca", DEPENDENT, 48),
        ("us-tx", CHILD, 48),
        ("us-tx", ELDER, 1),
        ("us-tx", DEPENDENT, 1),
        ("us-federal", CHILD, None),
        ("us-federal", ELDER, None),
        ("us-federal", DEPENDENT, None),
    ],
)
def test_each_pack_sets_the_documented_reporting_deadline(
    pack_id: str, kind: VictimKind, hours: int | None
) -> None:
    rule = installed_pack(pack_id).rule(ABUSE, kind)

    assert rule.report_within == (None if hours is None else timedelta(hours=hours))


@pytest.mark.parametrize("pack_id", ["us-ca", "us-tx"])
def test_both_states_make_every_abuse_report_mandatory(pack_id: str) -> None:
    pack = installed_pack(pack_id)

    for kind in VictimKind:
        assert pack.rule(ABUSE, kind).duty is Duty.MANDATORY


def test_texas_sends_reports_about_adults_only_to_the_protective_agency() -> None:
    pack = installed_pack("us-tx")

    for kind in (ELDER, DEPENDENT):
        assert pack.rule(ABUSE, kind).recipients == {RecipientKind.ADULT_PROTECTIVE_AGENCY}


@pytest.mark.parametrize("pack_id", ["us-ca", "us-tx"])
def test_a_state_pack_takes_the_grounds_it_leaves_out_from_the_federal_baseline(
    pack_id: str,
) -> None:
    federal = installed_pack("us-federal")
    state = installed_pack(pack_id)

    assert state.rule(COURT) == federal.rule(COURT)
    # Keys a state sets replace the baseline's; the keys it leaves out are the baseline's.
    child = state.rule(ABUSE, CHILD)
    assert child.approvers == federal.rule(ABUSE, CHILD).approvers
    assert child.recipients == federal.rule(ABUSE, CHILD).recipients
    assert child.duty is Duty.MANDATORY
    # The baseline's sources count as the state's own.
    assert {s.cite for s in federal.sources} <= {s.cite for s in state.sources}


def test_california_keeps_the_federal_recipients_and_approvers_for_the_duty_to_protect() -> None:
    federal = installed_pack("us-federal").rule(RISK_OTHERS)
    california = installed_pack("us-ca").rule(RISK_OTHERS)

    assert california.recipients == federal.recipients
    assert california.approvers == federal.approvers
    assert california.summary != federal.summary


def test_a_rule_for_abuse_needs_the_kind_of_victim() -> None:
    with pytest.raises(InvalidValue) as caught:
        installed_pack("us-federal").rule(ABUSE)

    assert caught.value.field == "disclosure.victim_kind"


def test_a_rule_for_another_ground_ignores_a_victim_kind() -> None:
    pack = installed_pack("us-federal")

    assert pack.rule(COURT, CHILD) is pack.rule(COURT)


# --- packs of one's own -------------------------------------------------------------------


def test_an_extending_pack_takes_every_key_it_leaves_out_from_its_parent(tmp_path: Path) -> None:
    path = tmp_path / "our-practice.toml"
    path.write_text(
        header(id='"us-ca-our-practice"', extends='"us-ca"')
        + "\n[grounds.abuse_neglect.child]\nreport_within_hours = 24\n",
        "utf-8",
    )
    parent = installed_pack("us-ca")

    pack = load_rule_pack(str(path))

    assert pack.id == "us-ca-our-practice"
    assert pack.extends == "us-ca"
    child = pack.rule(ABUSE, CHILD)
    assert child.report_within == timedelta(hours=24)
    parent_child = parent.rule(ABUSE, CHILD)
    assert child.duty is parent_child.duty
    assert child.approvers == parent_child.approvers
    assert child.recipients == parent_child.recipients
    assert child.cite == parent_child.cite
    assert child.summary == parent_child.summary
    assert child.initial_report == parent_child.initial_report
    for key in GROUND_KEYS:
        if key != (ABUSE, CHILD):
            assert pack.grounds[key] == parent.grounds[key], key
    assert pack.sources == parent.sources
    assert pack.break_glass_window == parent.break_glass_window
    assert pack.break_glass_review_within == parent.break_glass_review_within


def test_the_documented_minimal_pack_loads(tmp_path: Path) -> None:
    path = tmp_path / "our-practice.toml"
    path.write_text(
        header(id='"us-xx-our-practice"', name='"Our practice (State X)"')
        + """
[[sources]]
cite = "State X Code § 123.45"
title = "Mandated reporting of child abuse"
url = "https://legislature.example.gov/code/123.45"

[grounds.abuse_neglect.child]
duty = "mandatory"
cite = "State X Code § 123.45"
report_within_hours = 24
summary = "Report suspected child abuse to the state child protection agency within 24 hours."
""",
        "utf-8",
    )

    pack = load_rule_pack(str(path))

    child = pack.rule(ABUSE, CHILD)
    assert child.duty is Duty.MANDATORY
    assert child.cite == "State X Code § 123.45"
    assert child.report_within == timedelta(hours=24)
    assert child.approvers == {Role.PRIVACY_OFFICER}
    assert pack.sources[0].cite == "State X Code § 123.45"
    assert len(pack.sources) == len(installed_pack("us-federal").sources) + 1


def test_a_ground_may_cite_a_source_of_the_pack_it_extends() -> None:
    pack = parse(header() + '\n[grounds.court_order]\ncite = "42 CFR 2.61"\n')

    assert pack.rule(COURT).cite == "42 CFR 2.61"


def test_a_pack_of_its_own_may_override_a_parents_source_by_its_cite() -> None:
    pack = parse(header() + '\n[[sources]]\ncite = "42 CFR 2.61"\ntitle = "Our own reading"\n')

    assert pack.source("42 CFR 2.61").title == "Our own reading"
    assert [s.cite for s in pack.sources].count("42 CFR 2.61") == 1


def test_a_complete_pack_that_extends_no_other_loads() -> None:
    pack = parse(base_pack())

    assert pack.extends is None
    assert pack.rule(COURT).duty is Duty.PERMISSIVE
    assert pack.break_glass_window == timedelta(minutes=30)
    assert pack.break_glass_review_within == timedelta(hours=12)


@pytest.mark.parametrize("hours", [1, 720])
def test_a_reporting_deadline_from_one_hour_to_thirty_days_is_accepted(hours: int) -> None:
    pack = parse(header() + f"\n[grounds.abuse_neglect.elder]\nreport_within_hours = {hours}\n")

    assert pack.rule(ABUSE, ELDER).report_within == timedelta(hours=hours)


def test_load_rule_pack_takes_an_installed_id() -> None:
    assert load_rule_pack("us-tx") is installed_pack("us-tx")


def test_an_unknown_installed_id_is_refused_naming_the_setting() -> None:
    with pytest.raises(RulePackError) as caught:
        load_rule_pack("us-nowhere")

    assert caught.value.field == "CONFIDE_RULE_PACK"
    assert "us-federal" in caught.value.allowed


def test_a_pack_file_that_cannot_be_read_is_refused_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(RulePackError) as caught:
        load_rule_pack(str(tmp_path / "missing.toml"))

    assert caught.value.field == "CONFIDE_RULE_PACK"
    assert "missing.toml" in caught.value.problem


def test_an_error_in_a_pack_file_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = tmp_path / "our-practice.toml"
    path.write_text(header() + '\n[grounds.court_order]\napprovers = ["clinician"]\n', "utf-8")

    with pytest.raises(RulePackError) as caught:
        load_rule_pack(str(path))

    assert caught.value.field == "our-practice.toml: grounds.court_order.approvers"
    assert caught.value.allowed == ("privacy_officer", "supervisor")


# --- refusals: every error names the key --------------------------------------------------

GROUND = "\n[grounds.court_order]\n"
CHILD_TABLE = "\n[grounds.abuse_neglect.child]\n"
BREAK_GLASS = "\n[break_glass]\n"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        pytest.param('schema = 1\nid = "x\n', "x.toml", id="not-toml"),
        pytest.param(header(schema="2"), "x.toml: schema", id="schema-2"),
        pytest.param(header(schema='"1"'), "x.toml: schema", id="schema-text"),
        pytest.param(header(schema=None), "x.toml: schema", id="schema-missing"),
        pytest.param(header(id='"US_CA"'), "x.toml: id", id="id-uppercase"),
        pytest.param(header(id='"-ca"'), "x.toml: id", id="id-leading-hyphen"),
        pytest.param(header(id=f'"{"a" * 41}"'), "x.toml: id", id="id-too-long"),
        pytest.param(header(id=None), "x.toml: id", id="id-missing"),
        pytest.param(header(name=None), "x.toml: name", id="name-missing"),
        pytest.param(header(name='"  "'), "x.toml: name", id="name-blank"),
        pytest.param(header(checked=None), "x.toml: checked", id="checked-missing"),
        pytest.param(header(checked='"2026-11-28"'), "x.toml: checked", id="checked-text"),
        pytest.param(header() + 'colour = "blue"\n', "x.toml: colour", id="unknown-top-key"),
        pytest.param(header(extends='"US Federal"'), "x.toml: extends", id="extends-bad-id"),
        pytest.param(header(extends="1"), "x.toml: extends", id="extends-not-text"),
        pytest.param(header() + 'grounds = "all"\n', "x.toml: grounds", id="grounds-not-table"),
        pytest.param(
            header() + '\n[grounds.duty_to_warn]\nduty = "mandatory"\n',
            "x.toml: grounds.duty_to_warn",
            id="unknown-ground",
        ),
        pytest.param(
            header() + '\n[grounds.abuse_neglect.adolescent]\nduty = "mandatory"\n',
            "x.toml: grounds.abuse_neglect.adolescent",
            id="unknown-victim-kind",
        ),
        pytest.param(
            header() + '\n[grounds.abuse_neglect]\nduty = "mandatory"\n',
            "x.toml: grounds.abuse_neglect.duty",
            id="abuse-rule-without-victim-kind",
        ),
        pytest.param(
            header() + GROUND + "report_within_days = 2\n",
            "x.toml: grounds.court_order.report_within_days",
            id="unknown-key-in-ground",
        ),
        pytest.param(
            header() + "\n[grounds]\ncourt_order = 1\n",
            "x.toml: grounds.court_order",
            id="ground-not-table",
        ),
        pytest.param(
            header() + GROUND + 'duty = "required"\n',
            "x.toml: grounds.court_order.duty",
            id="bad-duty",
        ),
        pytest.param(
            header() + GROUND + 'approvers = ["clinician"]\n',
            "x.toml: grounds.court_order.approvers",
            id="approver-clinician",
        ),
        pytest.param(
            header() + GROUND + 'approvers = ["supervisor", "staff"]\n',
            "x.toml: grounds.court_order.approvers",
            id="approver-staff",
        ),
        pytest.param(
            header() + GROUND + 'approvers = ["boss"]\n',
            "x.toml: grounds.court_order.approvers",
            id="approver-unknown-role",
        ),
        pytest.param(
            header() + GROUND + 'approvers = "supervisor"\n',
            "x.toml: grounds.court_order.approvers",
            id="approvers-not-list",
        ),
        pytest.param(
            header() + GROUND + "approvers = []\n",
            "x.toml: grounds.court_order.approvers",
            id="approvers-empty",
        ),
        pytest.param(
            header() + GROUND + 'recipients = ["journalist"]\n',
            "x.toml: grounds.court_order.recipients",
            id="unknown-recipient",
        ),
        pytest.param(
            header() + GROUND + "recipients = []\n",
            "x.toml: grounds.court_order.recipients",
            id="recipients-empty",
        ),
        pytest.param(
            header() + GROUND + 'cite = "Nowhere Code § 1"\n',
            "x.toml: grounds.court_order.cite",
            id="cite-not-a-source",
        ),
        pytest.param(
            header() + GROUND + 'summary = "  "\n',
            "x.toml: grounds.court_order.summary",
            id="summary-blank",
        ),
        pytest.param(
            header() + GROUND + f'summary = "{"s" * 2001}"\n',
            "x.toml: grounds.court_order.summary",
            id="summary-too-long",
        ),
        pytest.param(
            header() + GROUND + "initial_report = 3\n",
            "x.toml: grounds.court_order.initial_report",
            id="initial-report-not-text",
        ),
        *(
            pytest.param(
                header() + CHILD_TABLE + f"report_within_hours = {value}\n",
                "x.toml: grounds.abuse_neglect.child.report_within_hours",
                id=f"report-within-{label}",
            )
            for label, value in [
                ("0", "0"),
                ("721", "721"),
                ("negative", "-1"),
                ("true", "true"),
                ("text", '"36"'),
                ("fraction", "36.5"),
            ]
        ),
        *(
            pytest.param(
                header() + BREAK_GLASS + f"{key} = {value}\n",
                f"x.toml: break_glass.{key}",
                id=f"break-glass-{key}-{label}",
            )
            for key, label, value in [
                ("max_window_minutes", "0", "0"),
                ("max_window_minutes", "1441", "1441"),
                ("max_window_minutes", "true", "true"),
                ("max_window_minutes", "text", '"60"'),
                ("review_within_hours", "0", "0"),
                ("review_within_hours", "337", "337"),
            ]
        ),
        pytest.param(
            header() + BREAK_GLASS + "max_window_hours = 1\n",
            "x.toml: break_glass.max_window_hours",
            id="break-glass-unknown-key",
        ),
        pytest.param(
            header() + 'break_glass = "short"\n', "x.toml: break_glass", id="break-glass-not-table"
        ),
        pytest.param(
            header() + SOURCE.replace("https://", "http://"),
            "x.toml: sources[0].url",
            id="url-not-https",
        ),
        pytest.param(
            header() + SOURCE.replace("https://example.org/code/1", "ftp://example.org"),
            "x.toml: sources[0].url",
            id="url-ftp",
        ),
        pytest.param(
            header() + SOURCE + '\n[[sources]]\ncite = "Synthetic Code § 2"\n',
            "x.toml: sources[1].title",
            id="source-without-title",
        ),
        pytest.param(
            header() + SOURCE + 'link = "https://example.org"\n',
            "x.toml: sources[0].link",
            id="source-unknown-key",
        ),
        pytest.param(header() + 'sources = "none"\n', "x.toml: sources", id="sources-not-list"),
    ],
)
def test_a_malformed_pack_is_refused_naming_the_key(text: str, field: str) -> None:
    assert refused(text).field == field


@pytest.mark.parametrize(
    ("ground", "key"),
    [
        ("grounds.imminent_risk_self", "duty"),
        ("grounds.court_order", "approvers"),
        ("grounds.imminent_risk_others", "recipients"),
        ("grounds.abuse_neglect.elder", "cite"),
        ("grounds.abuse_neglect.dependent_adult", "summary"),
    ],
)
def test_a_pack_that_extends_no_other_needs_every_required_key(ground: str, key: str) -> None:
    assert refused(base_pack(omit=(ground, key))).field == f"x.toml: {ground}.{key}"


def test_a_pack_that_extends_no_other_needs_its_break_the_glass_limits() -> None:
    assert refused(base_pack(break_glass=False)).field == "x.toml: break_glass.max_window_minutes"


def test_a_pack_that_extends_no_other_lists_its_sources() -> None:
    text = base_pack().replace(SOURCE, "")

    assert refused(text).field == "x.toml: sources"


def test_an_unknown_approver_role_is_refused_listing_the_roles_that_may_approve() -> None:
    error = refused(header() + GROUND + 'approvers = ["clinician"]\n')

    assert error.allowed == ("privacy_officer", "supervisor")


def test_an_unknown_recipient_is_refused_listing_the_recipient_codes() -> None:
    error = refused(header() + GROUND + 'recipients = ["journalist"]\n')

    assert error.field == "x.toml: grounds.court_order.recipients"
    assert set(error.allowed) == {k.value for k in RecipientKind}


def test_extending_a_pack_that_is_not_installed_is_refused_naming_extends() -> None:
    assert refused(header(extends='"us-nowhere"')).field == "x.toml: extends"


def test_extending_a_pack_that_is_not_installed_is_refused() -> None:
    error = refused(header(extends='"us-nowhere"'))

    assert "us-nowhere" in str(error)


@pytest.mark.parametrize("schema", ["true", "1.0"])
def test_a_schema_that_is_not_the_integer_one_is_refused(schema: str) -> None:
    assert refused(header(schema=schema)).field == "x.toml: schema"


def test_checked_must_be_a_date_not_a_date_and_time() -> None:
    assert refused(header(checked="2026-11-28T10:00:00")).field == "x.toml: checked"


def test_a_reporting_deadline_on_a_ground_that_reports_nothing_is_refused() -> None:
    error = refused(header() + SOURCE + "\n[grounds.court_order]\nreport_within_hours = 24\n")
    assert error.field == "x.toml: grounds.court_order.report_within_hours"
