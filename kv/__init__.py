"""Storage layer: an async key-value store with compare-and-swap, backed by NATS JetStream KV.

Handlers see only the :class:`kv.store.Store` / :class:`kv.store.Bucket` protocols, so the
read path can later become a watch-fed in-memory replica without touching any handler.
"""
