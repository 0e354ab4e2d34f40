"""`python -m rnnkit ...`: see `rnnkit.cli.main`."""
import sys

from rnnkit.cli.main import main

sys.exit(main())
