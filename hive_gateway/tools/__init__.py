"""User-facing tools around the gateway: ``hive-gateway terraform`` (run Terraform/OpenTofu
against the gateway without editing a configuration)."""
