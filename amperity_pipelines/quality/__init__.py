"""Data quality: checks and reports on what the pipeline produced (no orchestration here)."""
