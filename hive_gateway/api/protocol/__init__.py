"""The AWS Query and EC2 wire protocols, driven by botocore's service models."""
