"""Platform-level endpoints and diagnostics: health and the built-in diagnostic jobs."""
