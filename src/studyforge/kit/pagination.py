"""Generic page of results: `Page[T]` with `items`, `total`, `limit`, `offset`."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from studyforge.kit.limits import MAX_INT64

T = TypeVar("T")
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    """One page of a listing."""

    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    """`?limit=&offset=` query parameters, bounded (an offset past 64 bits would overflow SQL)."""

    limit: int = 50
    offset: int = 0


def _page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_INT64)] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(_page_params)]


def paginate(session: Session, stmt: Select[T], params: PageParams) -> dict[str, object]:
    """Run `stmt` for one page and count the total; returns the fields of a `Page`."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.limit(params.limit).offset(params.offset)))
    return {"items": items, "total": total, "limit": params.limit, "offset": params.offset}
