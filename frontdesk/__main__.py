"""`python -m frontdesk`: the same as the `frontdesk` console script."""

from __future__ import annotations

import sys

from frontdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
