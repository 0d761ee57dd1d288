"""Replays of the Terraform AWS provider's API calls against any EC2 endpoint (conformance checks)."""
