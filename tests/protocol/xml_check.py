"""Moved to :mod:`hive_gateway.conformance.xml_check`; kept until every test imports it there."""

from hive_gateway.conformance.xml_check import *
from hive_gateway.conformance.xml_check import __all__  # noqa: F401
