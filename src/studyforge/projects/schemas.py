"""Request and response bodies of the project endpoints.

Bounds: `group_size` 1..12 (one seat and one role per member; 12 roles exist), `duration_min`
5..480 minutes, ids up to 200 characters, title/topic/life skill up to 300, email up to 320.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from studyforge.kit.limits import Text
from studyforge.projects.themes import MAX_GROUP

Id = Annotated[str, Text(200)]


class StartRequest(BaseModel):
    """`POST /start`: what the project should be about (the email is stored redacted)."""

    model_config = ConfigDict(extra="forbid")

    project_id: Id
    chat_id: Id
    title: Annotated[str, Text(300)]
    topic: Annotated[str, Text(300)]
    life_skill: Annotated[str, Text(300)]
    group_size: int = Field(ge=1, le=MAX_GROUP)
    duration_min: int = Field(ge=5, le=480)
    owner_email: Annotated[str, Text(320)] | None = None


class RunStarted(BaseModel):
    """The run generating the project (202 new, 200 when it was started before)."""

    run_id: uuid.UUID


class ProjectSummary(BaseModel):
    """One of your projects in the list."""

    model_config = ConfigDict(from_attributes=True)

    project_id: str
    chat_id: str
    run_id: uuid.UUID
    title: str
    status: str
    created_at: datetime
    updated_at: datetime


class ProjectList(BaseModel):
    """`GET /projects`: your projects, newest first."""

    projects: list[ProjectSummary]
    total: int
    limit: int
    offset: int


class ProjectDeleted(BaseModel):
    """`DELETE /projects/{project_id}`: how many (project_id, chat_id) rows were removed."""

    project_id: str
    deleted: int
