"""``python -m quantviz_report report MODEL ...``: the ``quantviz`` command."""

import sys

from quantviz_report.cli import main

sys.exit(main())
