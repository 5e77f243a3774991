"""quizzes, quiz_questions, quiz_submissions: generated quizzes, their keys and graded answers

Revision ID: e5f6a7b8c9d1
Revises: d4e5f6a7b8c0
Create Date: 2026-12-02 18:00:00

- `quizzes`: one row per requested quiz (owner, source scope, settings, status, job).
- `quiz_questions`: the questions in order, each with its key (options, correct answer, key
  points) and its citation (document, passage, page, heading, the span of the sentence that
  answers it in the document's text, and that sentence).
- `quiz_submissions`: the answers given, the score and one graded result per question.

Document, course and passage ids are plain columns: a quiz and its history outlive a deleted
or re-processed source.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5f6a7b8c9d1"
down_revision: str | None = "d4e5f6a7b8c0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS = sa.Enum(
    "QUEUED", "GENERATING", "READY", "FAILED", name="quizstatus", native_enum=False, length=20
)


def upgrade() -> None:
    op.create_table(
        "quizzes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("course_id", sa.Uuid(), nullable=True),
        sa.Column("source_filter", sa.String(length=500), nullable=True),
        sa.Column("num_questions", sa.Integer(), nullable=False),
        sa.Column("difficulty", sa.String(length=20), nullable=False),
        sa.Column("quiz_type", sa.String(length=30), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("provider", sa.String(length=50), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=True),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_quizzes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quizzes")),
        sa.UniqueConstraint("user_id", "request_id", name="uq_quizzes_user_request_id"),
    )
    with op.batch_alter_table("quizzes") as batch:
        batch.create_index("ix_quizzes_user_created", ["user_id", "created_at"])
        batch.create_index("ix_quizzes_document", ["document_id"])

    op.create_table(
        "quiz_questions",
        sa.Column("quiz_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question_type", sa.String(length=30), nullable=False),
        sa.Column("difficulty", sa.String(length=20), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("correct_answer", sa.Text(), nullable=False),
        sa.Column("key_points", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("concept", sa.String(length=300), nullable=False),
        sa.Column("section", sa.String(length=500), nullable=True),
        sa.Column("templated", sa.Boolean(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("passage_id", sa.BigInteger(), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("start", sa.Integer(), nullable=True),
        sa.Column("end", sa.Integer(), nullable=True),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["quiz_id"],
            ["quizzes.id"],
            name=op.f("fk_quiz_questions_quiz_id_quizzes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_questions")),
        sa.UniqueConstraint("quiz_id", "position", name="uq_quiz_questions_position"),
    )

    op.create_table(
        "quiz_submissions",
        sa.Column("quiz_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("total_questions", sa.Integer(), nullable=False),
        sa.Column("correct_answers", sa.Integer(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["quiz_id"],
            ["quizzes.id"],
            name=op.f("fk_quiz_submissions_quiz_id_quizzes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_quiz_submissions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_submissions")),
    )
    with op.batch_alter_table("quiz_submissions") as batch:
        batch.create_index("ix_quiz_submissions_user_submitted", ["user_id", "submitted_at"])
        batch.create_index("ix_quiz_submissions_quiz_submitted", ["quiz_id", "submitted_at"])


def downgrade() -> None:
    with op.batch_alter_table("quiz_submissions") as batch:
        batch.drop_index("ix_quiz_submissions_quiz_submitted")
        batch.drop_index("ix_quiz_submissions_user_submitted")
    op.drop_table("quiz_submissions")
    op.drop_table("quiz_questions")
    with op.batch_alter_table("quizzes") as batch:
        batch.drop_index("ix_quizzes_document")
        batch.drop_index("ix_quizzes_user_created")
    op.drop_table("quizzes")
