"""The built-in node simulator: answers Hive daemon subjects so the gateway works without Hive."""
