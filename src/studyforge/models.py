"""Every table, imported in one place so Alembic and `create_all` see the whole schema."""

from studyforge.auth.models import User
from studyforge.chat.models import ChatMessage, ChatSession
from studyforge.courses.models import Course, Lesson, LessonBody, LessonCheck, LessonVersion
from studyforge.db import Base
from studyforge.documents.models import Document, Passage
from studyforge.events.models import OutboxEvent
from studyforge.jobs.models import Job
from studyforge.projects.models import Project
from studyforge.quizzes.models import Quiz, QuizQuestion, QuizSubmission
from studyforge.repo_courses.models import (
    AnalyzedDocument,
    CourseTask,
    GeneratedCourse,
    Module,
    ModuleContent,
    ModuleDocument,
    Pathway,
    RepositoryFile,
    Stage1Selection,
    Stage2Input,
    Stage3Input,
    Stage3Selection,
)
from studyforge.speech.models import GeneratedAudio, TranscriptionJob

__all__ = [
    "AnalyzedDocument",
    "Base",
    "ChatMessage",
    "ChatSession",
    "Course",
    "CourseTask",
    "Document",
    "GeneratedAudio",
    "GeneratedCourse",
    "Job",
    "Lesson",
    "LessonBody",
    "LessonCheck",
    "LessonVersion",
    "Module",
    "ModuleContent",
    "ModuleDocument",
    "OutboxEvent",
    "Passage",
    "Pathway",
    "Project",
    "Quiz",
    "QuizQuestion",
    "QuizSubmission",
    "RepositoryFile",
    "Stage1Selection",
    "Stage2Input",
    "Stage3Input",
    "Stage3Selection",
    "TranscriptionJob",
    "User",
]
