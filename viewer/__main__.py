"""``python -m viewer``."""

from viewer.cli import main

raise SystemExit(main())
