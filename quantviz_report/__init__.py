"""The headless front end, beside the page: ``quantviz report MODEL --bits 4 --out DIR``.

The whole-model table of a weight file at one setting, its figures and a one-page summary,
written as files (:mod:`quantviz_report.report`); the ``quantviz`` command that runs it
(:mod:`quantviz_report.cli`, also ``python -m quantviz_report``). It computes with the
``quantviz`` library and draws with the page's figures (:mod:`quantviz_app.figures`), so a
report looks like the page; every name from the file is shown through
:mod:`quantviz_app.untrusted`.
"""
