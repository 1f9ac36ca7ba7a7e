"""The pure sign-in rules: when a session stops being usable, how often its last use is written,
how long repeated failures lock a name, who proves a second factor, and what a scope list means.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from confide.domain import InvalidValue, Role
from confide.policy.authentication import (
    ALL_SCOPES,
    SECOND_FACTOR_ROLES,
    LockoutPolicy,
    Scope,
    SessionPolicy,
    SessionState,
    needs_second_factor,
    parse_scopes,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)
POLICY = SessionPolicy()
LOCKOUT = LockoutPolicy()


def _state(
    *, last_seen: timedelta = timedelta(0), now: timedelta, ended: bool = False
) -> SessionState:
    """The state of a session made at T0, last used at T0 + ``last_seen``, at T0 + ``now``."""
    return POLICY.state(created_at=T0, last_seen_at=T0 + last_seen, ended=ended, now=T0 + now)


# Sessions: the defaults ------------------------------------------------------------------------


def test_the_defaults_are_15_minutes_idle_8_hours_absolute_and_a_touch_every_30_seconds() -> None:
    assert POLICY.idle == timedelta(minutes=15)
    assert POLICY.absolute == timedelta(hours=8)
    assert POLICY.touch_every == timedelta(seconds=30)


# Sessions: the idle boundary -------------------------------------------------------------------


def test_a_session_is_active_until_just_before_the_idle_timeout() -> None:
    assert _state(now=timedelta(0)) is SessionState.ACTIVE
    assert _state(now=timedelta(minutes=15) - TICK) is SessionState.ACTIVE


def test_a_session_is_idle_at_exactly_the_idle_timeout() -> None:
    assert _state(now=timedelta(minutes=15)) is SessionState.IDLE


def test_the_idle_timeout_counts_from_the_last_use_not_from_sign_in() -> None:
    last_seen = timedelta(hours=2)
    assert _state(last_seen=last_seen, now=last_seen + timedelta(minutes=15) - TICK) is (
        SessionState.ACTIVE
    )
    assert _state(last_seen=last_seen, now=last_seen + timedelta(minutes=15)) is (SessionState.IDLE)


# Sessions: the absolute boundary ---------------------------------------------------------------


def test_a_session_in_use_is_active_until_just_before_eight_hours() -> None:
    now = timedelta(hours=8) - TICK
    assert _state(last_seen=now - timedelta(seconds=1), now=now) is SessionState.ACTIVE


def test_a_session_in_use_expires_at_exactly_eight_hours() -> None:
    now = timedelta(hours=8)
    assert _state(last_seen=now - timedelta(seconds=1), now=now) is SessionState.EXPIRED


def test_a_session_both_idle_and_past_its_lifetime_is_called_expired() -> None:
    assert _state(now=timedelta(hours=9)) is SessionState.EXPIRED


def test_a_use_recorded_after_the_absolute_limit_does_not_revive_the_session() -> None:
    assert _state(last_seen=timedelta(hours=8), now=timedelta(hours=8)) is SessionState.EXPIRED


# Sessions: ended -------------------------------------------------------------------------------


@pytest.mark.parametrize("now", [timedelta(0), timedelta(minutes=1), timedelta(hours=9)])
def test_an_ended_session_is_ended_whatever_the_time(now: timedelta) -> None:
    assert _state(now=now, ended=True) is SessionState.ENDED


# Sessions: the touch cadence -------------------------------------------------------------------


def test_a_use_within_30_seconds_of_the_last_is_not_written() -> None:
    assert not POLICY.needs_touch(T0, T0)
    assert not POLICY.needs_touch(T0, T0 + timedelta(seconds=30) - TICK)


def test_a_use_30_seconds_or_more_after_the_last_is_written() -> None:
    assert POLICY.needs_touch(T0, T0 + timedelta(seconds=30))
    assert POLICY.needs_touch(T0, T0 + timedelta(minutes=14))


def test_a_clock_that_moved_back_never_asks_for_a_touch() -> None:
    assert not POLICY.needs_touch(T0, T0 - timedelta(minutes=5))


def test_the_touch_cadence_is_shorter_than_the_idle_timeout() -> None:
    # Otherwise a session in steady use could go idle between two written uses.
    assert POLICY.touch_every < POLICY.idle


# Lockout ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("failures", [0, 1, 2, 3, 4])
def test_the_first_four_failures_do_not_lock(failures: int) -> None:
    assert LOCKOUT.locked_for(failures) == timedelta(0)


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [
        (5, 30),
        (6, 60),
        (7, 120),
        (8, 240),
        (9, 480),
        (10, 960),
        (11, 1920),
        (12, 3600),  # 3840 s, capped at the hour
        (13, 3600),
    ],
)
def test_the_lock_starts_at_30_seconds_on_the_fifth_failure_and_doubles(
    failures: int, seconds: int
) -> None:
    assert LOCKOUT.locked_for(failures) == timedelta(seconds=seconds)


@pytest.mark.parametrize("failures", [20, 64, 1000, 10**9])
def test_the_lock_never_exceeds_an_hour_however_many_failures(failures: int) -> None:
    assert LOCKOUT.locked_for(failures) == timedelta(hours=1)


def test_a_policy_with_other_numbers_follows_them() -> None:
    policy = LockoutPolicy(
        free_failures=3, first_lock=timedelta(seconds=10), longest_lock=timedelta(seconds=25)
    )
    assert [policy.locked_for(n).total_seconds() for n in range(7)] == [0, 0, 0, 10, 20, 25, 25]


# Second factor ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role",
    [Role.CLINICIAN, Role.SUPERVISOR, Role.PRIVACY_OFFICER, Role.STAFF, Role.ADMINISTRATOR],
)
def test_every_practice_role_needs_a_second_factor(role: Role) -> None:
    assert needs_second_factor(role)


@pytest.mark.parametrize("role", [Role.CLIENT, Role.REPRESENTATIVE, Role.RECIPIENT])
def test_clients_representatives_and_recipients_need_no_second_factor(role: Role) -> None:
    assert not needs_second_factor(role)


def test_every_role_is_decided_one_way_or_the_other() -> None:
    assert {r for r in Role if needs_second_factor(r)} == SECOND_FACTOR_ROLES
    assert set(Role) >= SECOND_FACTOR_ROLES


# Scopes ----------------------------------------------------------------------------------------


def test_scopes_are_read_from_space_separated_names() -> None:
    assert parse_scopes("records.read  consents.write\thistory.read") == {
        Scope.RECORDS_READ,
        Scope.CONSENTS_WRITE,
        Scope.HISTORY_READ,
    }


def test_a_repeated_scope_counts_once() -> None:
    assert parse_scopes("audit.read audit.read") == {Scope.AUDIT_READ}


def test_an_unknown_scope_is_refused_naming_the_field_and_the_word() -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_scopes("records.read records.delete")
    assert refused.value.field == "scopes"
    assert "'records.delete'" in refused.value.problem
    # The answer says what would be accepted.
    for scope in Scope:
        assert scope.value in refused.value.problem


def test_an_unknown_scope_names_the_field_the_caller_gives() -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_scopes("everything", field="token.scopes")
    assert refused.value.field == "token.scopes"


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_no_scope_at_all_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_scopes(text, field="grant")
    assert refused.value.field == "grant"
    assert "at least one scope" in refused.value.problem


def test_scope_names_are_case_sensitive() -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_scopes("Records.Read")
    assert refused.value.field == "scopes"


# Properties ------------------------------------------------------------------------------------

_offsets = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=12))


@given(last_seen=_offsets, now=_offsets, later=_offsets, ended=st.booleans())
def test_a_session_that_is_not_active_never_becomes_active_as_time_moves_on(
    last_seen: timedelta, now: timedelta, later: timedelta, ended: bool
) -> None:
    before = _state(last_seen=last_seen, now=now, ended=ended)
    after = _state(last_seen=last_seen, now=now + later, ended=ended)
    if before is not SessionState.ACTIVE:
        assert after is not SessionState.ACTIVE
    if before is SessionState.EXPIRED:
        assert after is SessionState.EXPIRED
    if before is SessionState.ENDED:
        assert after is SessionState.ENDED


@given(last_seen=_offsets, now=_offsets)
def test_an_active_session_is_within_both_limits(last_seen: timedelta, now: timedelta) -> None:
    if _state(last_seen=last_seen, now=now) is SessionState.ACTIVE:
        assert now < POLICY.absolute
        assert now - last_seen < POLICY.idle


@given(last_seen=_offsets, now=_offsets)
def test_no_session_outlives_the_absolute_limit(last_seen: timedelta, now: timedelta) -> None:
    if now >= POLICY.absolute:
        assert _state(last_seen=last_seen, now=now) is SessionState.EXPIRED


@given(gap=st.timedeltas(min_value=timedelta(hours=-1), max_value=timedelta(hours=1)))
def test_a_touch_is_due_exactly_when_30_seconds_have_passed(gap: timedelta) -> None:
    assert POLICY.needs_touch(T0, T0 + gap) == (gap >= timedelta(seconds=30))


@given(failures=st.integers(min_value=0, max_value=10_000), more=st.integers(0, 10_000))
def test_more_failures_never_lock_for_less_time(failures: int, more: int) -> None:
    assert LOCKOUT.locked_for(failures + more) >= LOCKOUT.locked_for(failures)


@given(failures=st.integers(min_value=0, max_value=10**12))
def test_a_lock_is_none_below_five_failures_and_between_30_seconds_and_an_hour_after(
    failures: int,
) -> None:
    lock = LOCKOUT.locked_for(failures)
    if failures < 5:
        assert lock == timedelta(0)
    else:
        assert timedelta(seconds=30) <= lock <= timedelta(hours=1)


@given(
    free=st.integers(min_value=0, max_value=20),
    first=st.integers(min_value=1, max_value=600),
    cap=st.integers(min_value=1, max_value=86_400),
    failures=st.integers(min_value=0, max_value=200),
)
def test_any_lockout_policy_is_monotonic_and_capped(
    free: int, first: int, cap: int, failures: int
) -> None:
    policy = LockoutPolicy(free, timedelta(seconds=first), timedelta(seconds=cap))
    assert policy.locked_for(failures) <= policy.locked_for(failures + 1)
    assert policy.locked_for(failures) <= timedelta(seconds=cap)


@given(scopes=st.sets(st.sampled_from(sorted(ALL_SCOPES)), min_size=1), sep=st.sampled_from(" \t"))
def test_any_set_of_scopes_reads_back_as_itself(scopes: set[Scope], sep: str) -> None:
    assert parse_scopes(sep.join(s.value for s in scopes)) == scopes


@given(word=st.text(alphabet=st.characters(categories=["L", "N", "P"]), min_size=1))
def test_any_word_that_is_not_a_scope_is_refused_naming_the_field(word: str) -> None:
    if word in {s.value for s in Scope}:
        return
    with pytest.raises(InvalidValue) as refused:
        parse_scopes(f"records.read {word}")
    assert refused.value.field == "scopes"
