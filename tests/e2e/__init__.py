"""Browser tests: a real `studyforge serve` driven by headless Chromium."""
