"""Reliability: clear failures, replicated storage, auth hardening, isolation (issue 11)."""
