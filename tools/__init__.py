"""Developer tools that are not part of Hark itself (mutation testing)."""
