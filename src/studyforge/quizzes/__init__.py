"""Quizzes: generation from stored passages (offline engine or an LLM), submission, grading,
history and analytics."""
