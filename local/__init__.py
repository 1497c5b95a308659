"""The Docker-free stand-in for `sam local start-api` (see local/runner.py)."""
