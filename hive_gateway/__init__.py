"""hive-gateway: the AWS EC2 (Query, 2016-11-15) and STS API in front of a Hive cluster."""

__version__ = "0.1.0"
