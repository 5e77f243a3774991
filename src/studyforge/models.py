"""Every table, imported in one place so Alembic and `create_all` see the whole schema."""

from studyforge.auth.models import User
from studyforge.chat.models import ChatMessage, ChatSession
from studyforge.courses.models import Course, Lesson, LessonBody, LessonCheck, LessonVersion
from studyforge.db import Base
from studyforge.documents.models import Document, Passage
from studyforge.events.models import OutboxEvent
from studyforge.jobs.models import Job
from studyforge.quizzes.models import Quiz, QuizQuestion, QuizSubmission

__all__ = [
    "Base",
    "ChatMessage",
    "ChatSession",
    "Course",
    "Document",
    "Job",
    "Lesson",
    "LessonBody",
    "LessonCheck",
    "LessonVersion",
    "OutboxEvent",
    "Passage",
    "Quiz",
    "QuizQuestion",
    "QuizSubmission",
    "User",
]
