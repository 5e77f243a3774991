"""Every table, imported in one place so Alembic and `create_all` see the whole schema."""

from studyforge.auth.models import User
from studyforge.courses.models import Course, Lesson, LessonBody, LessonCheck
from studyforge.db import Base
from studyforge.documents.models import Document, Passage
from studyforge.events.models import OutboxEvent
from studyforge.jobs.models import Job

__all__ = [
    "Base",
    "Course",
    "Document",
    "Job",
    "Lesson",
    "LessonBody",
    "LessonCheck",
    "OutboxEvent",
    "Passage",
    "User",
]
