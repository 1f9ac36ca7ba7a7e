"""The domain of confide: plain, frozen, typed values; the standard library only."""

from confide.domain.access import (
    AccessRequest,
    CategoryOutcome,
    Decision,
    Obligation,
    ObligationKind,
    RuleId,
)
from confide.domain.actors import Actor, Client, Organisation
from confide.domain.codes import (
    ALL_CATEGORIES,
    CLINICAL_ROLES,
    EMERGENCY_GROUNDS,
    SPECIALLY_PROTECTED,
    Action,
    Category,
    Effect,
    ExceptionGround,
    Purpose,
    RepresentationKind,
    Role,
    VictimKind,
)
from confide.domain.consent import Consent, ConsentStatus
from confide.domain.errors import ConfideError, InvalidValue, UnknownReference
from confide.domain.limits import Approval, BreakGlassGrant, ExceptionDisclosure
from confide.domain.notice import NoticeAcknowledgment, NoticeVersion
from confide.domain.period import Period
from confide.domain.relationships import Representation, SelfConsentedCare, TreatmentRelationship

__all__ = [
    "ALL_CATEGORIES",
    "CLINICAL_ROLES",
    "EMERGENCY_GROUNDS",
    "SPECIALLY_PROTECTED",
    "AccessRequest",
    "Action",
    "Actor",
    "Approval",
    "BreakGlassGrant",
    "Category",
    "CategoryOutcome",
    "Client",
    "ConfideError",
    "Consent",
    "ConsentStatus",
    "Decision",
    "Effect",
    "ExceptionDisclosure",
    "ExceptionGround",
    "InvalidValue",
    "NoticeAcknowledgment",
    "NoticeVersion",
    "Obligation",
    "ObligationKind",
    "Organisation",
    "Period",
    "Purpose",
    "Representation",
    "RepresentationKind",
    "Role",
    "RuleId",
    "SelfConsentedCare",
    "TreatmentRelationship",
    "UnknownReference",
    "VictimKind",
]
