"""The operator documentation in the repository: the label reference is
what the code reads, and every page and link stays inside the repository."""

import json
import os
import re
import subprocess
import unittest

from tests.python.test_end_to_end import CLI, ROOT

LABELS_MD = os.path.join(ROOT, "docs", "labels.md")
# Markdown links and images: [text](target) and ![alt](target).
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def tracked_files():
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def markdown_pages():
    return [f for f in tracked_files() if f.endswith(".md")]


def anchors(path):
    """GitHub's heading anchors of a Markdown page."""
    found = set()
    with open(path, encoding="utf-8") as f:
        in_code = False
        for line in f:
            if line.startswith("```"):
                in_code = not in_code
            if in_code or not line.startswith("#"):
                continue
            title = line.lstrip("#").strip().lower()
            title = re.sub(r"[^\w\- ]", "", title)
            found.add(title.replace(" ", "-"))
    return found


class LabelReferenceTest(unittest.TestCase):

    def test_docs_labels_md_is_what_the_code_reads(self):
        generated = subprocess.run([CLI, "labels", "-o", "markdown"],
                                   check=True, capture_output=True,
                                   text=True).stdout
        with open(LABELS_MD, encoding="utf-8") as f:
            checked_in = f.read()
        self.assertEqual(
            checked_in, generated,
            "docs/labels.md is stale: run `make docs` and commit it")

    def test_json_lists_every_label_of_the_page(self):
        out = subprocess.run([CLI, "labels", "-o", "json"], check=True,
                             capture_output=True, text=True).stdout
        doc = json.loads(out)
        names = [label["name"] for label in doc["labels"]]
        self.assertIn("monitoring_enabled", names)
        self.assertEqual(len(names), len(set(names)))
        with open(LABELS_MD, encoding="utf-8") as f:
            page = f.read()
        for name in names:
            self.assertIn("| `%s` |" % name, page)


class SelfContainedTest(unittest.TestCase):

    def test_nothing_points_outside_the_repository(self):
        # Spelled in two parts so that this file does not match itself.
        outside = re.compile("|".join([
            re.escape("../" + "shared"), re.escape("shared/" + "reference"),
            re.escape("DESIGN" + ".md"), re.escape("reference-" + "driver.md"),
        ]))
        offenders = []
        for name in tracked_files():
            path = os.path.join(ROOT, name)
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except (UnicodeDecodeError, IsADirectoryError):
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if outside.search(line):
                    offenders.append("%s:%d: %s" % (name, number, line))
        self.assertEqual(offenders, [])

    def test_every_relative_link_resolves(self):
        broken = []
        for page in markdown_pages():
            with open(os.path.join(ROOT, page), encoding="utf-8") as f:
                text = f.read()
            text = re.sub(r"```.*?```", "", text, flags=re.S)
            for target in LINK.findall(text):
                if re.match(r"[a-z]+:", target):
                    continue  # http:, https:, mailto:
                file_part, _, anchor = target.partition("#")
                linked = (os.path.normpath(os.path.join(
                    os.path.dirname(page), file_part)) if file_part
                    else page)
                full = os.path.join(ROOT, linked)
                if linked.startswith(".."):
                    broken.append("%s: %s leaves the repository"
                                  % (page, target))
                elif not os.path.exists(full):
                    broken.append("%s: %s does not exist" % (page, target))
                elif anchor and full.endswith(".md") and \
                        anchor not in anchors(full):
                    broken.append("%s: %s has no heading #%s"
                                  % (page, target, anchor))
        self.assertEqual(broken, [])


# A page of docs/ named in source: docs/<page>.md, optionally #anchor.
DOC_REF = re.compile(r"docs/([\w.-]+\.md)(?:#([\w-]+))?")
# The README lost its reference sections to docs/: a message that sends the
# reader to the README's "Configuration", "Adoption", label reference ...
README_SECTION = re.compile(r"README(?:'s|, )")


class ReferencesInCodeTest(unittest.TestCase):
    """Messages, --help and comments in the code point at docs that exist."""

    def sources(self):
        return [f for f in tracked_files()
                if f.startswith(("server/", "client/", "driver_shim/"))
                and f.endswith((".cc", ".h", ".py"))]

    def test_docs_named_in_code_exist(self):
        broken = []
        for name in self.sources():
            with open(os.path.join(ROOT, name), encoding="utf-8") as f:
                text = f.read()
            for number, line in enumerate(text.splitlines(), 1):
                for page, anchor in DOC_REF.findall(line):
                    full = os.path.join(ROOT, "docs", page)
                    if not os.path.exists(full):
                        broken.append("%s:%d: docs/%s does not exist"
                                      % (name, number, page))
                    elif anchor and anchor not in anchors(full):
                        broken.append("%s:%d: docs/%s has no heading #%s"
                                      % (name, number, page, anchor))
        self.assertEqual(broken, [])

    def test_no_message_points_at_a_readme_section(self):
        offenders = []
        for name in self.sources():
            with open(os.path.join(ROOT, name), encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    if README_SECTION.search(line):
                        offenders.append("%s:%d: %s"
                                         % (name, number, line.strip()))
        self.assertEqual(offenders, [])


if __name__ == "__main__":
    unittest.main()
