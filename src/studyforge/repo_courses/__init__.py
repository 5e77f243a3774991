"""Repository -> course: safe repository access, documentation scanning, and the later stages."""
