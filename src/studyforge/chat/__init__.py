"""Tutor chat sessions grounded in the learner's documents (issue 13)."""
