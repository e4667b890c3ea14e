"""Errors that cross layers, as the rest of the project imports them.

The classes live in `workstation.domain.errors` beside the code catalogue, so that the domain and the rules
raise them without importing anything above the domain (the layers contract in pyproject.toml); this module
only re-exports them. Each carries the exit status the CLI uses (CONTRACTS.md): 1 = a domain refusal,
2 = bad input or usage.
"""

from __future__ import annotations

from workstation.domain.errors import (
    AccountLocked,
    AuthenticationFailed,
    ConfigError,
    ConflictError,
    DatabaseUnavailable,
    ErrorCode,
    InputError,
    NotFound,
    PermissionDenied,
    Refusal,
    WorkstationError,
)

__all__ = [
    "AccountLocked",
    "AuthenticationFailed",
    "ConfigError",
    "ConflictError",
    "DatabaseUnavailable",
    "ErrorCode",
    "InputError",
    "NotFound",
    "PermissionDenied",
    "Refusal",
    "WorkstationError",
]
