"""Shared, long-lived state of a running gateway: settings, store, accounts, record buckets."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kv.buckets import bucket_name
from kv.records import RecordBucket
from kv.store import Store

from hive_gateway.config import Settings

if TYPE_CHECKING:
    from hive_gateway.accounts import AccountRegistry


@dataclass
class Runtime:
    """What every handler reaches through ``ctx.runtime``."""

    settings: Settings
    store: Store
    accounts: AccountRegistry
    _records: dict[str, RecordBucket] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def records(self, logical: str, schema: str | None = None) -> RecordBucket:
        """The JSON record bucket for logical bucket ``logical`` (e.g. ``"vpcs"``).

        ``schema`` names ``schemas/records/<schema>.schema.json``; it defaults to ``logical``.
        """
        cached = self._records.get(logical)
        if cached is not None:
            return cached
        async with self._lock:
            cached = self._records.get(logical)
            if cached is None:
                bucket = await self.store.bucket(bucket_name(self.settings.bucket_prefix, logical))
                cached = RecordBucket(bucket, schema if schema is not None else logical)
                self._records[logical] = cached
            return cached
