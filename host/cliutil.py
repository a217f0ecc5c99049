"""Command-line plumbing shared by ``nicsim`` and ``nicsim serve``: a bad argument is one line
on stderr and exit code 2 (argparse alone prints its usage block first)."""

from __future__ import annotations

import argparse
import sys


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):
        print(f"{self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)
