"""The docs show code that runs: docs/testbench.md's tutorial is tests/test_tutorial.py, as the
suite runs it, byte for byte."""

import re

from tb.runner import ROOT


def test_tutorial_page_shows_the_test_the_suite_runs():
    page = (ROOT / "docs" / "testbench.md").read_text()
    code = (ROOT / "tests" / "test_tutorial.py").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, re.S)
    assert blocks and blocks[0] == code
    assert len(code.splitlines()) < 40
