"""Speech-to-text: audio uploads transcribed by a job on the runner (`speech.jobs`)."""
