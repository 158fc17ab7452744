"""``python -m gridmarket`` runs the ``gridmarket`` command."""

import sys

from gridmarket.cli import main

sys.exit(main())
