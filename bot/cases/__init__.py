"""A merchant's cases: guided handling flows (the catalogue apart from the walker),
joint cases of the shops one buyer hit, their evidence files, and reply scripts."""
