"""The catalogue of findings is whole: every code a rule can emit (any
"CDnnnn" string in src/) has its row in src/findings/catalogue.c and its page
in docs/findings/, `conndoctor explain` prints that very page, and no page
is left without a code. A code without a row would abort the program."""
import os
import re
import unittest

import harness
from harness import run_conndoctor

SRC = os.path.join(harness.REPO_ROOT, "src")
DOCS = os.path.join(harness.REPO_ROOT, "docs", "findings")


def codes_in_sources():
    found = set()
    for root, _, files in os.walk(SRC):
        for name in files:
            if name.endswith((".c", ".h")):
                with open(os.path.join(root, name), encoding="utf-8") as f:
                    found |= set(re.findall(r'"(CD\d{4})"', f.read()))
    return found


def catalogue_rows():
    with open(os.path.join(SRC, "findings", "catalogue.c"), encoding="utf-8") as f:
        return re.findall(r'\{"(CD\d{4})", "', f.read())


class Catalogue(unittest.TestCase):
    def test_every_code_has_a_row_and_a_page(self):
        rows = catalogue_rows()
        self.assertEqual(len(rows), len(set(rows)), "a code is listed twice")
        pages = {n[:-3] for n in os.listdir(DOCS) if re.fullmatch(r"CD\d{4}\.md", n)}
        self.assertEqual(sorted(codes_in_sources() - set(rows)), [])
        self.assertEqual(sorted(set(rows) - pages), [])
        self.assertEqual(sorted(pages - set(rows)), [])

    def test_explain_prints_the_page(self):
        for code in catalogue_rows():
            rc, out, err = run_conndoctor(["explain", code])
            self.assertEqual(rc, 0, code)
            with open(os.path.join(DOCS, code + ".md"), encoding="utf-8") as f:
                self.assertEqual(out, f.read(), code)
        rc, out, _ = run_conndoctor(["explain"])
        self.assertEqual(len(out.strip().splitlines()), len(catalogue_rows()))


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
