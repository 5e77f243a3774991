"""Job I/O schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from studyforge.jobs.models import JobStatus


class JobOut(BaseModel):
    """A job as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    status: JobStatus
    stage: str | None
    progress: int
    current_step: str | None
    error: str | None
    attempts: int
    max_attempts: int
    result: dict[str, Any] | None
    usage: dict[str, Any] | None = None
    cancel_requested: bool
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
