"""Action handlers, one module per resource family; importing this package registers them all."""

from handlers import account_attributes, regions, sts

__all__ = ["account_attributes", "regions", "sts"]
