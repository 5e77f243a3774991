"""Repository courses: the four-stage pipeline's tables, and courses of kind "repository"

Revision ID: f6a7b8c9d0e2
Revises: a7b8c9d0e1f3
Create Date: 2026-12-02 05:53:23

The specification's stage tables (`repository_files`, `stage1_selections`, `stage2_inputs`,
`analyzed_documents`, `stage3_inputs`, `pathways`, `modules`, `module_documents`,
`stage3_selections`, `generated_courses`, `module_content`, `course_tasks`) with their
columns, ids as UUIDs and lists as JSON; a few more columns where a stage needs them
(a documentation file's text, a document's analysis as a whole, a pathway's position).
`courses` gains `kind` ("topic" or "repository"), `repo_url`, `repo_name` and `repo_status`
(the specification's course status: draft, stage1_running, ..., stage4_complete).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f6a7b8c9d0e2"
down_revision: str | None = "a7b8c9d0e1f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analyzed_documents",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("file_path", sa.String(length=1000), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("doc_type", sa.String(length=30), nullable=True),
        sa.Column("complexity_level", sa.String(length=20), nullable=True),
        sa.Column("key_concepts", sa.JSON(), nullable=False),
        sa.Column("learning_objectives", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("prerequisites", sa.JSON(), nullable=False),
        sa.Column("related_topics", sa.JSON(), nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("analysis", sa.JSON(), nullable=True),
        sa.Column("analyzed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_analyzed_documents_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analyzed_documents")),
    )
    with op.batch_alter_table("analyzed_documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_analyzed_documents_course", ["course_id", "file_path"], unique=False
        )

    op.create_table(
        "course_tasks",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("progress_percentage", sa.Integer(), nullable=False),
        sa.Column("current_step", sa.String(length=500), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_tasks_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", "stage", name=op.f("pk_course_tasks")),
    )
    op.create_table(
        "pathways",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("complexity_level", sa.String(length=20), nullable=True),
        sa.Column("estimated_duration", sa.String(length=100), nullable=True),
        sa.Column("prerequisites", sa.JSON(), nullable=False),
        sa.Column("templated", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_pathways_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathways")),
    )
    with op.batch_alter_table("pathways", schema=None) as batch_op:
        batch_op.create_index("ix_pathways_course", ["course_id", "position"], unique=False)

    op.create_table(
        "repository_files",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("file_path", sa.String(length=1000), nullable=False),
        sa.Column("file_type", sa.String(length=10), nullable=False),
        sa.Column("is_documentation", sa.Boolean(), nullable=False),
        sa.Column("is_overview_candidate", sa.Boolean(), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("doc_format", sa.String(length=20), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_repository_files_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repository_files")),
        sa.UniqueConstraint("course_id", "file_path", name="uq_repository_files_path"),
    )
    op.create_table(
        "stage1_selections",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("selected_folders", sa.JSON(), nullable=False),
        sa.Column("overview_document", sa.String(length=1000), nullable=True),
        sa.Column("selected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_stage1_selections_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_stage1_selections")),
    )
    op.create_table(
        "stage2_inputs",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("complexity_level", sa.String(length=20), nullable=False),
        sa.Column("additional_info", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_stage2_inputs_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_stage2_inputs")),
    )
    op.create_table(
        "stage3_inputs",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("additional_info", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_stage3_inputs_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_stage3_inputs")),
    )
    op.create_table(
        "generated_courses",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("pathway_id", sa.Uuid(), nullable=True),
        sa.Column("export_path", sa.String(length=1000), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_generated_courses_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id"],
            ["pathways.id"],
            name=op.f("fk_generated_courses_pathway_id_pathways"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_generated_courses")),
    )
    op.create_table(
        "modules",
        sa.Column("pathway_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("sequence_order", sa.Integer(), nullable=False),
        sa.Column("learning_objectives", sa.JSON(), nullable=False),
        sa.Column("estimated_time", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pathway_id"],
            ["pathways.id"],
            name=op.f("fk_modules_pathway_id_pathways"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_modules")),
        sa.UniqueConstraint("pathway_id", "sequence_order", name="uq_modules_order"),
    )
    op.create_table(
        "stage3_selections",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("selected_pathway_id", sa.Uuid(), nullable=True),
        sa.Column("selected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_stage3_selections_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["selected_pathway_id"],
            ["pathways.id"],
            name=op.f("fk_stage3_selections_selected_pathway_id_pathways"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_stage3_selections")),
    )
    op.create_table(
        "module_content",
        sa.Column("module_id", sa.Uuid(), nullable=False),
        sa.Column("introduction", sa.Text(), nullable=True),
        sa.Column("main_content", sa.Text(), nullable=True),
        sa.Column("conclusion", sa.Text(), nullable=True),
        sa.Column("assessment", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_module_content_module_id_modules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("module_id", name=op.f("pk_module_content")),
    )
    op.create_table(
        "module_documents",
        sa.Column("module_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["analyzed_documents.id"],
            name=op.f("fk_module_documents_document_id_analyzed_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_module_documents_module_id_modules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("module_id", "document_id", name=op.f("pk_module_documents")),
    )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), server_default="topic", nullable=False)
        )
        batch_op.add_column(sa.Column("repo_url", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("repo_name", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("repo_status", sa.String(length=30), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ has it): a batch copy of `courses` would trip over the
    # views that read it.
    for column in ("repo_status", "repo_name", "repo_url", "kind"):
        op.drop_column("courses", column)

    op.drop_table("module_documents")
    op.drop_table("module_content")
    op.drop_table("stage3_selections")
    op.drop_table("modules")
    op.drop_table("generated_courses")
    op.drop_table("stage3_inputs")
    op.drop_table("stage2_inputs")
    op.drop_table("stage1_selections")
    op.drop_table("repository_files")
    with op.batch_alter_table("pathways", schema=None) as batch_op:
        batch_op.drop_index("ix_pathways_course")

    op.drop_table("pathways")
    op.drop_table("course_tasks")
    with op.batch_alter_table("analyzed_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_analyzed_documents_course")

    op.drop_table("analyzed_documents")
