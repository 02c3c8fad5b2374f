"""``python -m linunlearn``: the same as the ``linunlearn`` command."""

import sys

from .cli import main

sys.exit(main())
