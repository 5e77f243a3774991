"""studyforge: turn source material into courses, quizzes, projects, a tutor and audio."""

__version__ = "0.1.0"
