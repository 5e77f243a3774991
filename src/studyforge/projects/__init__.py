"""Classroom group projects (proj.v1); see ../shared/seeds/project-generator.md."""
