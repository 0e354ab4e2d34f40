"""`python -m rnnkit ...`: see `rnnkit.cli`."""
import sys

from rnnkit.cli import main

sys.exit(main())
