"""FHIR answers: one resource, or a searchset Bundle with paging links, as application/fhir+json."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request, Response
from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleEntrySearch, BundleLink
from fhir.resources.R4B.resource import Resource

from confide.api.fhir.codes import FHIR_JSON
from confide.api.fhir.params import Page


class FhirResponse(Response):
    """A FHIR resource as JSON."""

    media_type = FHIR_JSON


def resource_response(
    resource: Resource, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """``resource`` as the answer, without empty elements (FHIR has no nulls)."""
    return FhirResponse(
        resource.model_dump_json(exclude_none=True), status_code=status, headers=headers
    )


def base_url(request: Request) -> str:
    """The facade's base, ``https://host/fhir``, for full URLs and links."""
    return f"{str(request.base_url).rstrip('/')}/fhir"


def searchset(
    request: Request,
    found: Sequence[Resource],
    *,
    total: int,
    page: Page,
    pinned: Mapping[str, str] | None = None,
) -> Response:
    """A searchset Bundle of one page of the matches: ``found`` is the page, ``total`` counts
    every match; ``self``, ``next`` and ``previous`` links carry ``_count``, ``_offset`` and
    the ``pinned`` parameters that keep the pages of one search over the same matches."""
    base = base_url(request)
    bundle = Bundle(
        type="searchset",
        total=total,
        link=_links(request, total, page, pinned or {}),
        entry=[
            BundleEntry(
                fullUrl=f"{base}/{resource.get_resource_type()}/{_id_of(resource)}",
                resource=resource,
                search=BundleEntrySearch(mode="match"),
            )
            for resource in found
        ]
        or None,
    )
    return resource_response(bundle)


def _id_of(resource: Resource) -> str:
    found: Any = resource.id
    return str(found)


def _links(request: Request, total: int, page: Page, pinned: Mapping[str, str]) -> list[BundleLink]:
    def at(offset: int) -> str:
        url = request.url.include_query_params(**pinned, _count=page.count, _offset=offset)
        return str(url)

    links = [BundleLink(relation="self", url=at(page.offset))]
    if page.count and page.offset + page.count < total:
        links.append(BundleLink(relation="next", url=at(page.offset + page.count)))
    if page.count and page.offset > 0:
        links.append(BundleLink(relation="previous", url=at(max(0, page.offset - page.count))))
    return links
