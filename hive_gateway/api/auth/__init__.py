"""Request authentication: AWS Signature V4 verification (header and presigned-query forms)."""

from hive_gateway.api.auth.sigv4 import (
    AuthResult,
    KeyLookup,
    SigningKey,
    credential_scope_service,
    verify,
)

__all__ = ["AuthResult", "KeyLookup", "SigningKey", "credential_scope_service", "verify"]
