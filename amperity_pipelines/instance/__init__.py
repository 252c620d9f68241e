"""Dagster instance plug-ins named in dagster.yaml (loaded by the daemon, the webserver and the CLI)."""
