"""``python -m hive_gateway`` is the ``hive-gateway`` command."""

from hive_gateway.cli import main

raise SystemExit(main())
