"""Bad input: malformed JSON, bodies over the limit (declared or streamed), unknown fields,
wrong types, huge pages, and injection strings in every id, code and text field.

Each is refused with a 4xx that names the field, stores nothing (the rows of every table that
holds what people send are counted before and after), and never echoes what was sent (each
injection carries a random marker that must not come back). Free text (a note, a correction)
is the one place such strings are legitimate content: there they are kept verbatim, sealed,
and still never echoed by the write. The audit log verifies at the end.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import Table, func, select

from confide.services.audit import verify_log
from confide.store import schema as t
from tests.api.world import (
    TestClient,
    World,
    shared_world,
)

MIB = 1024 * 1024

# What a request can leave behind (the audit log and sign-in bookkeeping aside).
STORED: tuple[Table, ...] = (
    t.organisations, t.actors, t.clients, t.client_keys, t.relationships, t.consents,
    t.notice_versions, t.notice_acknowledgments, t.records, t.record_versions,
    t.psychotherapy_notes, t.psychotherapy_note_versions, t.accounts, t.api_tokens,
    t.disclosure_requests,
)  # fmt: skip


def injections() -> dict[str, str]:
    """Hostile strings, each with a fresh marker that must never come back."""
    mark = f"zq{secrets.token_hex(5)}"
    return {
        "sql": f"x' OR '1'='1'; DROP TABLE records; -- {mark}",
        "html": f"<script>alert('{mark}')</script><img src=x onerror=alert(1)>",
        "traversal": f"../../../../etc/passwd/{mark}",
        "nul": f"{mark}\x00after-nul",
        "long_unicode": mark + "\u00fc\u2603\U0001d54f" * 2000,  # 54 KB as a URL
    }


KINDS = tuple(injections())


def marker_of(value: str) -> str:
    start = value.index("zq")
    return value[start : start + 12]


@dataclass
class Bad:
    """The module's world, browsers, and ids to aim at."""

    world: World
    record_id: str = ""
    consent_id: str = ""
    browsers: dict[str, TestClient] = field(default_factory=dict)

    def as_(self, name: str) -> TestClient:
        if name not in self.browsers:
            self.browsers[name] = self.world.sign_in(name)
        return self.browsers[name]

    def counts(self) -> dict[str, int]:
        """The rows of every table in ``STORED``, in one query."""
        counts = [
            select(func.count()).select_from(x).scalar_subquery().label(x.name) for x in STORED
        ]
        with self.world.deps.engine.connect() as c:
            row = c.execute(select(*counts)).one()
        return {name: int(n) for name, n in row._mapping.items()}

    @contextmanager
    def nothing_stored(self) -> Iterator[None]:
        before = self.counts()
        yield
        assert self.counts() == before


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bad(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bad]:
    with shared_world(request, tmp_path_factory) as w:
        engine = w.deps.engine
        b = Bad(w)
        with engine.connect() as c:
            b.record_id = c.execute(
                select(t.records.c.id).where(
                    t.records.c.client_id == w.client, t.records.c.category == "progress_note"
                )
            ).scalar_one()
        b.consent_id = f"consent-{w.client}"
        yield b


@dataclass(frozen=True)
class Post:
    """A state-changing request, a well-formed body for it, and who sends it."""

    name: str
    path: Callable[[Bad], str]
    body: Callable[[Bad], dict[str, Any]]
    who: str  # the World attribute of the sender; "" for nobody signed in


POSTS = [
    Post("note", lambda b: f"/api/v1/clients/{b.world.client}/records",
         lambda b: {"category": "progress_note", "text": "Synthetic note."}, "clinician"),
    Post("amendment", lambda b: f"/api/v1/records/{b.record_id}/versions",
         lambda b: {"text": "Synthetic correction."}, "clinician"),
    Post("consent", lambda b: f"/api/v1/clients/{b.world.client}/consents",
         lambda b: {"recipient_id": b.world.other, "categories": ["progress_note"],
                    "purposes": ["TREAT"]}, "client"),
    Post("narrowing", lambda b: f"/api/v1/consents/{b.consent_id}/narrow",
         lambda b: {"purposes": ["TREAT"]}, "client"),
    Post("acknowledgment", lambda b: f"/api/v1/clients/{b.world.client}/notice/acknowledgment",
         lambda b: {"version": "notice-v1"}, "client"),
    Post("relationship", lambda b: f"/api/v1/clients/{b.world.client}/relationships",
         lambda b: {"clinician_id": b.world.colleague,
                    "starts_at": "2001-01-01T00:00:00Z", "ends_at": "2001-01-02T00:00:00Z"},
         "officer"),
    Post("token", lambda b: "/api/v1/tokens",
         lambda b: {"name": "integration", "scopes": ["records.read"], "expires_in_days": 1},
         "clinician"),
    Post("sign-in", lambda b: "/api/v1/auth/sign-in",
         lambda b: {"name": "nobody", "password": "not-the-password", "code": "123456"}, ""),
    Post("organisation", lambda b: "/api/v1/organisations",
         lambda b: {"id": f"org-{secrets.token_hex(4)}", "name": "West clinic"}, "officer"),
    Post("person", lambda b: "/api/v1/people",
         lambda b: {"id": f"clin-{secrets.token_hex(4)}", "role": "clinician",
                    "organisation_id": b.world.home}, "officer"),
    Post("admission", lambda b: "/api/v1/clients",
         lambda b: {"id": f"cl-{secrets.token_hex(4)}", "organisation_id": b.world.home,
                    "birth_date": "1990-01-01"}, "officer"),
    Post("notice", lambda b: "/api/v1/notices",
         lambda b: {"version": f"notice-{secrets.token_hex(4)}", "text": "Synthetic notice."},
         "officer"),
    Post("account", lambda b: "/api/v1/accounts",
         lambda b: {"actor_id": b.world.clinician, "password": "violet-orchard-trombone-5581"},
         "officer"),
]  # fmt: skip
POST_BY_NAME = {p.name: p for p in POSTS}


def send(b: Bad, post: Post, *, body: Any = None, content: Any = None, path: str = "") -> Any:
    browser = b.as_(getattr(b.world, post.who)) if post.who else b.world.client_for()
    url = path or post.path(b)
    if content is not None:
        return browser.post(url, content=content, headers={"content-type": "application/json"})
    return browser.post(url, json=body)


def refused(answer: Any, field_name: str, status: int = 422) -> None:
    """A clear refusal that names the field."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    got = answer.json()
    assert got["field"] == field_name, got
    assert got["detail"]


# Malformed and oversized bodies ---------------------------------------------------------------

MALFORMED = [b"{", b'{"text": }', b"[1, 2", b"\xff\xfe\x00", b"{'text': 'single quotes'}", b""]


@pytest.mark.parametrize("name", list(POST_BY_NAME))
def test_malformed_json_is_refused_naming_the_body(bad: Bad, name: str) -> None:
    with bad.nothing_stored():
        for content in MALFORMED:
            answer = send(bad, POST_BY_NAME[name], content=content)
            refused(answer, "body")


@pytest.mark.parametrize("name", ["note", "narrowing", "sign-in"])
def test_a_body_over_the_limit_with_its_length_is_refused(bad: Bad, name: str) -> None:
    content = b'{"text": "' + b"a" * MIB + b'"}'
    with bad.nothing_stored():
        answer = send(bad, POST_BY_NAME[name], content=content)
    assert "content-length" in {k.lower() for k in answer.request.headers}
    refused(answer, "body", status=413)


@pytest.mark.parametrize("name", ["note", "narrowing", "sign-in"])
def test_a_streamed_body_over_the_limit_is_refused(bad: Bad, name: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"category": "progress_note", "text": "'
        for _ in range(17):
            yield b"a" * 65_536
        yield b'"}'

    with bad.nothing_stored():
        answer = send(bad, POST_BY_NAME[name], content=chunks())
    assert answer.request.headers.get("transfer-encoding") == "chunked"
    refused(answer, "body", status=413)


def test_a_streamed_body_under_the_limit_reaches_the_route(bad: Bad) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"category": "progress_note", "text": "'
        for _ in range(5):
            yield b"a" * 65_536  # 320 KiB: under the body limit, over a note's
        yield b'"}'

    with bad.nothing_stored():
        answer = send(bad, POST_BY_NAME["note"], content=chunks())
    refused(answer, "text")


# Unknown fields and wrong types ---------------------------------------------------------------

UNKNOWN = [
    # Who is asking, and about whom, comes from the session and the path, never the body.
    ("note", "author_id", "attacker"),
    ("note", "client_id", "someone-else"),
    ("amendment", "version", 7),
    ("consent", "client_id", "someone-else"),
    ("consent", "note", "a note"),
    ("narrowing", "recipient_id", "someone-else"),
    ("acknowledgment", "client_id", "someone-else"),
    ("relationship", "client_id", "someone-else"),
    ("token", "actor_id", "someone-else"),
    ("sign-in", "role", "privacy_officer"),
]


@pytest.mark.parametrize(("name", "extra", "value"), UNKNOWN)
def test_unknown_fields_are_refused_by_name(bad: Bad, name: str, extra: str, value: Any) -> None:
    post = POST_BY_NAME[name]
    with bad.nothing_stored():
        answer = send(bad, post, body={**post.body(bad), extra: value})
    refused(answer, extra)
    assert "not a field" in answer.json()["detail"]


WRONG = [
    ("note", "text", 123),
    ("note", "text", ["a"]),
    ("note", "category", 5),
    ("note", "category", "not_a_category"),
    ("note", "purpose", None),
    ("amendment", "text", {"a": 1}),
    ("amendment", "text", ""),
    ("consent", "categories", "progress_note"),
    ("consent", "categories", []),
    ("consent", "purposes", [1]),
    ("consent", "starts_at", "yesterday"),
    ("consent", "effect", "maybe"),
    ("consent", "starts_at", "2030-01-01T00:00:00"),  # no timezone
    ("consent", "ends_at", "2001-01-01T00:00:00Z"),  # before it starts
    ("narrowing", "ends_at", ["2030-01-01T00:00:00Z"]),
    ("narrowing", "ends_at", "2001-01-01T00:00:00Z"),  # in the past
    ("relationship", "starts_at", "2030-01-01T00:00:00"),
    ("acknowledgment", "version", ["notice-v1"]),
    ("relationship", "clinician_id", {"id": 1}),
    ("token", "expires_in_days", "soon"),
    ("token", "expires_in_days", 100_000),
    ("token", "scopes", ["everything"]),
    ("sign-in", "code", 123456),
    ("sign-in", "password", None),
]


@pytest.mark.parametrize(("name", "key", "value"), WRONG)
def test_wrong_types_are_refused_naming_the_field(
    bad: Bad, name: str, key: str, value: Any
) -> None:
    post = POST_BY_NAME[name]
    with bad.nothing_stored():
        answer = send(bad, post, body={**post.body(bad), key: value})
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"].split(".")[0] == key, answer.json()


@pytest.mark.parametrize(
    ("path", "query", "param"),
    [
        ("access-history", "limit=10000", "limit"),
        ("access-history", "limit=0", "limit"),
        ("access-history", "limit=-1", "limit"),
        ("access-history", "limit=ten", "limit"),
        ("records", "&".join(["category=billing"] * 12), "category"),
        ("records", "purpose=everything", "purpose"),
    ],
)
def test_huge_or_odd_page_sizes_and_filters_are_refused(
    bad: Bad, path: str, query: str, param: str
) -> None:
    w = bad.world
    with bad.nothing_stored():
        answer = bad.as_(w.client).get(f"/api/v1/clients/{w.client}/{path}?{query}")
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] in (param, f"query.{param}")


# Injections in ids and codes -------------------------------------------------------------------

# Body fields that hold an id, a code or a time: an injection there is refused, naming it.
CODED = [
    ("note", "category"),
    ("note", "purpose"),
    ("consent", "recipient_id"),
    ("consent", "categories"),
    ("consent", "purposes"),
    ("consent", "effect"),
    ("consent", "starts_at"),
    ("consent", "ends_at"),
    ("narrowing", "categories"),
    ("narrowing", "ends_at"),
    ("acknowledgment", "version"),
    ("relationship", "clinician_id"),
    ("relationship", "starts_at"),
    ("token", "scopes"),
    ("token", "name"),
    ("sign-in", "code"),
    ("organisation", "id"),
    ("organisation", "name"),
    ("person", "id"),
    ("person", "role"),
    ("person", "organisation_id"),
    ("admission", "id"),
    ("admission", "organisation_id"),
    ("admission", "birth_date"),
    ("notice", "version"),
    ("notice", "effective_from"),
    ("notice", "text"),
    ("account", "actor_id"),
]
LISTS = {"categories", "purposes", "scopes"}
# Text kept in the clear in a column: any printable text is a fine name (and is stored), so
# only what a column cannot hold or the field's length does not allow is refused there.
CLEAR_TEXT = {
    ("token", "name"): {"nul", "long_unicode"},  # given back to its owner, as JSON
    ("organisation", "name"): {"nul", "long_unicode"},
    ("notice", "text"): {"nul"},
}


@pytest.mark.parametrize(("name", "key"), CODED)
def test_injections_in_ids_and_codes_are_refused_and_never_echoed(
    bad: Bad, name: str, key: str
) -> None:
    post = POST_BY_NAME[name]
    with bad.nothing_stored():
        for kind, value in injections().items():
            if kind not in CLEAR_TEXT.get((name, key), {kind}):
                continue
            body = {**post.body(bad), key: [value] if key in LISTS else value}
            answer = send(bad, post, body=body)
            assert answer.status_code == 422, (kind, answer.text)
            assert answer.json()["field"].split(".")[0] == key, (kind, answer.json())
            assert marker_of(value) not in answer.text, kind


def _client_routes(b: Bad, client_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    base = f"/api/v1/clients/{client_id}"
    return [
        ("GET", base, None),
        ("GET", f"{base}/records", None),
        ("POST", f"{base}/records", POST_BY_NAME["note"].body(b)),
        ("GET", f"{base}/consents", None),
        ("POST", f"{base}/consents", POST_BY_NAME["consent"].body(b)),
        ("GET", f"{base}/notice", None),
        ("POST", f"{base}/notice/acknowledgment", {"version": "notice-v1"}),
        ("GET", f"{base}/access-history", None),
        ("GET", f"{base}/accounting", None),
        ("POST", f"{base}/relationships", POST_BY_NAME["relationship"].body(b)),
    ]


PATH_FIELDS = ("client_id", "record_id", "consent_id", "token_id", "actor_id", "password")


@pytest.mark.parametrize("kind", KINDS)
def test_injections_in_path_ids_are_refused_and_never_echoed(bad: Bad, kind: str) -> None:
    value = injections()[kind]
    mark = marker_of(value)
    in_path = quote(value, safe="")
    browser = bad.as_(bad.world.officer)  # sees every client of the practice
    asks = _client_routes(bad, in_path)
    asks += [
        ("POST", f"/api/v1/records/{in_path}/versions", {"text": "Synthetic correction."}),
        ("POST", f"/api/v1/consents/{in_path}/revoke", None),
        ("POST", f"/api/v1/consents/{in_path}/narrow", {"purposes": ["TREAT"]}),
        ("DELETE", f"/api/v1/tokens/{in_path}", None),
        ("POST", f"/api/v1/accounts/{in_path}/password", {"new_password": "x" * 20}),
    ]
    with bad.nothing_stored():
        for method, url, body in asks:
            answer = browser.request(method, url, json=body)
            assert answer.status_code in (404, 422), (method, url[:80], answer.text)
            if answer.status_code == 422:
                assert answer.json()["field"] in PATH_FIELDS, (method, url[:80], answer.text)
            assert mark not in answer.text, (method, url[:80])


@pytest.mark.parametrize("kind", KINDS)
def test_injections_in_query_params_are_refused_and_never_echoed(bad: Bad, kind: str) -> None:
    value = injections()[kind]
    w = bad.world
    browser = bad.as_(w.client)
    base = f"/api/v1/clients/{w.client}"
    with bad.nothing_stored():
        for url, param in (
            (f"{base}/records?category={quote(value)}", "category"),
            (f"{base}/records?purpose={quote(value)}", "purpose"),
            (f"{base}/access-history?cursor={quote(value)}", "cursor"),
            (f"{base}/access-history?limit={quote(value)}", "limit"),
        ):
            answer = browser.get(url)
            assert answer.status_code == 422, (url[:80], answer.text)
            assert answer.json()["field"] in (param, f"query.{param}", f"query.{param}.0")
            assert marker_of(value) not in answer.text


# Free text: kept verbatim (sealed), never echoed -----------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_injections_in_a_note_are_kept_verbatim_and_never_echoed(bad: Bad, kind: str) -> None:
    w = bad.world
    text = injections()[kind]
    clinician = bad.as_(w.clinician)
    before = bad.counts()
    written = clinician.post(
        f"/api/v1/clients/{w.client}/records", json={"category": "progress_note", "text": text}
    )
    assert written.status_code == 201, written.text
    assert marker_of(text) not in written.text
    record_id = written.json()["record_id"]
    amended_text = text[::-1]
    amended = clinician.post(f"/api/v1/records/{record_id}/versions", json={"text": amended_text})
    assert amended.status_code == 201, amended.text
    assert marker_of(text) not in amended.text
    after = bad.counts()
    assert after["records"] == before["records"] + 1
    assert after["record_versions"] == before["record_versions"] + 2
    assert {k: v for k, v in after.items() if not k.startswith("record")} == {
        k: v for k, v in before.items() if not k.startswith("record")
    }
    read = clinician.get(f"/api/v1/clients/{w.client}/records?category=progress_note")
    mine = [e for e in read.json()["entries"] if e["record_id"] == record_id]
    assert [e["text"] for e in mine] == [amended_text]
    assert [e["version"] for e in mine] == [2]


def test_a_note_over_its_size_is_refused_naming_the_text(bad: Bad) -> None:
    w = bad.world
    clinician = bad.as_(w.clinician)
    mark = f"zq{secrets.token_hex(5)}"
    too_many_bytes = mark + "\U0001d54f" * 70_000  # 280 KB of UTF-8, in fewer characters
    too_many_chars = mark + "a" * 262_144
    with bad.nothing_stored():
        for text in (too_many_bytes, too_many_chars, "   \n\t  "):
            answer = clinician.post(
                f"/api/v1/clients/{w.client}/records",
                json={"category": "progress_note", "text": text},
            )
            refused(answer, "text")
            assert mark not in answer.text


@pytest.mark.parametrize("kind", KINDS)
def test_injections_at_sign_in_are_refused_and_never_echoed(bad: Bad, kind: str) -> None:
    value = injections()[kind]
    w = bad.world
    with bad.nothing_stored():
        for body in (
            {"name": value, "password": "not-the-password"},
            {"name": f"nobody-{secrets.token_hex(3)}", "password": value},
        ):
            answer = w.client_for().post("/api/v1/auth/sign-in", json=body)
            assert answer.status_code in (401, 422), answer.text
            assert marker_of(value) not in answer.text
            assert "set-cookie" not in answer.headers or "confide_session" not in str(
                answer.headers.get_list("set-cookie")
            )
        reset = w.client_for().post("/api/v1/auth/password-reset", json={"name": value})
        assert reset.status_code in (202, 422)
        assert marker_of(value) not in reset.text


@pytest.mark.parametrize(
    ("path", "body", "key"),
    [
        ("/api/v1/organisations", {"id": "org-nul", "name": "West\x00clinic"}, "name"),
        ("/api/v1/organisations", {"id": "org-nl", "name": "West\nclinic"}, "name"),
        ("/api/v1/notices", {"version": "notice-nul", "text": "Limits\x00of"}, "text"),
    ],
)
def test_text_kept_in_the_clear_refuses_nul_naming_the_field(
    bad: Bad, path: str, body: dict[str, str], key: str
) -> None:
    officer = bad.as_(bad.world.officer)
    with bad.nothing_stored():
        answer = officer.post(path, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == key


def test_the_audit_log_still_verifies(bad: Bad) -> None:
    # Last in the module: after every refusal above, every chain still links up. Without the
    # checkpoints' public key ``intact`` is never true; the report says why, and that is all.
    no_key = "no public key was given: checkpoint signatures were not checked"
    report = verify_log(bad.world.deps.engine, None)
    assert report.state == "ok"
    assert report.breaks == [], [b.describe() for b in report.breaks]
    assert report.checkpoint_problems == [no_key]
    status = bad.as_(bad.world.officer).get("/api/v1/audit/status")
    assert status.status_code == 200
    assert status.json()["problems"] == [no_key]
