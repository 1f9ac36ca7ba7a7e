"""The minimum necessary for each limit of confidentiality (design §2; HIPAA 164.502(b)).

Each ground may disclose at most these categories, whatever a request asks for. Psychotherapy
notes are never part of a risk or abuse disclosure; only a court order may reach them, and only
when the order names them.
"""

from __future__ import annotations

from types import MappingProxyType

from confide.domain.codes import ALL_CATEGORIES, Category, ExceptionGround, Purpose

MINIMUM_NECESSARY: MappingProxyType[ExceptionGround, frozenset[Category]] = MappingProxyType(
    {
        # HIPAA 164.512(j)(1)(i): to prevent or lessen a serious and imminent threat; contact
        # details to reach the person and the risk assessment (which holds the safety plan).
        ExceptionGround.IMMINENT_RISK_SELF: frozenset(
            {Category.DEMOGRAPHICS, Category.RISK_ASSESSMENT}
        ),
        # Duty to warn/protect (Tarasoff; HIPAA 164.512(j)): the threat and how to act on it.
        ExceptionGround.IMMINENT_RISK_OTHERS: frozenset(
            {Category.DEMOGRAPHICS, Category.RISK_ASSESSMENT}
        ),
        # HIPAA 164.512(b)(1)(ii), (c): the facts supporting the suspicion. Substance-use
        # records stay out (42 CFR 2.12(c)(6) allows only the initial report, from the report).
        ExceptionGround.ABUSE_NEGLECT: frozenset(
            {Category.DEMOGRAPHICS, Category.PROGRESS_NOTE, Category.RISK_ASSESSMENT}
        ),
        # HIPAA 164.512(e)(1)(i): only what the order expressly authorizes; the order's own
        # scope (the disclosure's categories) bounds it further.
        ExceptionGround.COURT_ORDER: ALL_CATEGORIES,
    }
)

# The purpose of use (HL7 PurposeOfUse) under which each ground's disclosure is made.
GROUND_PURPOSE: MappingProxyType[ExceptionGround, Purpose] = MappingProxyType(
    {
        ExceptionGround.IMMINENT_RISK_SELF: Purpose.THREAT,
        ExceptionGround.IMMINENT_RISK_OTHERS: Purpose.THREAT,
        ExceptionGround.ABUSE_NEGLECT: Purpose.PUBHLTH,
        ExceptionGround.COURT_ORDER: Purpose.HLEGAL,
    }
)

# The legal ground each exception cites in its reasons and in the accounting of disclosures.
GROUND_CITATION: MappingProxyType[ExceptionGround, str] = MappingProxyType(
    {
        ExceptionGround.IMMINENT_RISK_SELF: "HIPAA 45 CFR 164.512(j)",
        ExceptionGround.IMMINENT_RISK_OTHERS: "HIPAA 45 CFR 164.512(j)",
        ExceptionGround.ABUSE_NEGLECT: "HIPAA 45 CFR 164.512(b)(1)(ii) and (c)",
        ExceptionGround.COURT_ORDER: "HIPAA 45 CFR 164.512(e)(1)(i)",
    }
)

# Staff (front desk, billing) see only what scheduling and billing need.
STAFF_CATEGORIES: frozenset[Category] = frozenset(
    {Category.DEMOGRAPHICS, Category.APPOINTMENTS, Category.BILLING}
)
STAFF_PURPOSES: frozenset[Purpose] = frozenset({Purpose.HPAYMT, Purpose.HOPERAT})
