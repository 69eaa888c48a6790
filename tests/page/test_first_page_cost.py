"""What the first page of a new server costs: modules it must not import (issue 18, item 2).

A student's first page after the server started pays for every module the page imports.
``ml_dtypes`` registers its float types with numpy when imported (about 0.5 s of CPU on the
2-core machine of docs/BENCHMARKS.md), and only the number formats need it: the default page
(the integer grid) must not import it. Each check runs in a fresh interpreter, since any
earlier test may have imported the module already.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DEFAULT_PAGE = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=120)
{query}
at.run()
assert not at.exception, [e.value for e in at.exception]
print(sorted(m for m in ("ml_dtypes", "matplotlib", "torch") if m in sys.modules))
"""


def imported_by(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


def test_the_library_does_not_import_ml_dtypes_until_a_format_needs_it():
    code = (
        "import sys, quantviz as qv\n"
        "print('ml_dtypes' in sys.modules)\n"
        "qv.quantize_format([0.3, -1.0, 448.0, 500.0], 'fp8_e4m3')\n"
        "print('ml_dtypes' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False", "True"]


def test_the_default_page_imports_neither_ml_dtypes_nor_matplotlib_nor_torch():
    app = str(ROOT / "app.py")
    assert imported_by(DEFAULT_PAGE.format(app=app, query="")) == "[]"


def test_the_formats_room_of_a_default_tensor_does_not_import_ml_dtypes():
    """Its table and the formats' grids are shipped (quantviz_app/shipped.py)."""
    app = str(ROOT / "app.py")
    query = "at.query_params['room'] = 'Formats'"
    assert imported_by(DEFAULT_PAGE.format(app=app, query=query)) == "[]"


def test_a_number_format_page_imports_ml_dtypes():
    """The check above can fail: a page with a small-float format does import it."""
    app = str(ROOT / "app.py")
    query = "at.query_params['format'] = 'fp8_e4m3'"
    assert imported_by(DEFAULT_PAGE.format(app=app, query=query)) == "['ml_dtypes']"
