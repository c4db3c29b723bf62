"""Demo data: realistic, deterministic content for `make run` (data/ holds the texts)."""
