"""``python -m vectorlearn.cli``, the same as ``vectorlearn``."""

from . import main

raise SystemExit(main())
