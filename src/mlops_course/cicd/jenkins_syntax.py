"""The syntax of a Jenkinsfile as a tree of statements: names, arguments and ``{ }`` blocks.

The declarative rules (which sections, which conditions) are checked in :mod:`.jenkinsfile`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class JenkinsfileError(ValueError):
    """A Jenkinsfile that is not a valid declarative pipeline; ``problems`` lists why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the Jenkinsfile is not a valid declarative pipeline:\n  - " + "\n  - ".join(problems))
        self.problems = problems


_STRING = re.compile(r"""^(?:'''(.*)'''|\"\"\"(.*)\"\"\"|'(.*)'|"(.*)")$""", re.DOTALL)
_CREDENTIALS = re.compile(r"""^credentials\(\s*(['"])([^'"]+)\1\s*\)$""")
_IDENT = re.compile(r"@?[A-Za-z_][A-Za-z0-9_.]*")


@dataclass
class Node:
    """One statement: ``name``, its arguments as written (``args``), its ``{ }`` block (``children``) if any."""

    name: str
    args: str
    children: list[Node] | None
    line: int


class _Reader:
    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def line(self) -> int:
        return self.text.count("\n", 0, self.pos) + 1

    def error(self, message: str) -> JenkinsfileError:
        return JenkinsfileError([f"line {self.line()}: {message}"])

    def skip(self, newlines: bool = True) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t\r" or (newlines and char in "\n;"):
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.error("a /* comment is never closed")
                self.pos = end + 2
            elif char == "\\" and text.startswith("\\\n", self.pos):
                self.pos += 2
            else:
                return

    def string(self) -> str:
        """Read one string literal starting at ``pos``; return it as written."""
        text, start = self.text, self.pos
        for quote in ("'''", '"""', "'", '"'):
            if text.startswith(quote, start):
                at = start + len(quote)
                while True:
                    end = text.find(quote, at)
                    if end < 0 or (len(quote) == 1 and "\n" in text[at:end]):
                        raise self.error(f"a string opened with {quote} is never closed")
                    backslashes = len(text[at:end]) - len(text[at:end].rstrip("\\"))
                    if backslashes % 2 == 0:
                        self.pos = end + len(quote)
                        return text[start : self.pos]
                    at = end + 1
        raise self.error("expected a string")

    def balanced(self, stop: str) -> str:
        """Read up to (not including) the first of ``stop`` at depth 0, across strings and brackets."""
        text, start, depth = self.text, self.pos, 0
        while self.pos < len(text):
            char = text[self.pos]
            if char in "'\"":
                self.string()
                continue
            if text.startswith("//", self.pos) or text.startswith("/*", self.pos):
                if depth == 0 and "\n" in stop:
                    break
                self.skip(newlines=False)
                continue
            if depth == 0 and char in stop:
                break
            if char in "([":
                depth += 1
            elif char in ")]":
                depth -= 1
                if depth < 0:
                    raise self.error(f"unexpected {char!r}")
            self.pos += 1
        if depth:
            raise self.error("a bracket is never closed")
        return text[start : self.pos].strip()

    def block(self, closing: bool) -> list[Node]:
        nodes: list[Node] = []
        while True:
            self.skip()
            if self.pos >= len(self.text):
                if closing:
                    raise self.error("a { block is never closed with }")
                return nodes
            if self.text[self.pos] == "}":
                if not closing:
                    raise self.error("unexpected }")
                self.pos += 1
                return nodes
            line = self.line()
            match = _IDENT.match(self.text, self.pos)
            if not match:
                raise self.error(f"unexpected {self.text[self.pos : self.pos + 20].splitlines()[0]!r}")
            name = match.group(0)
            self.pos = match.end()
            self.skip(newlines=False)
            args = ""
            if self.pos < len(self.text) and self.text[self.pos] == "(":
                self.pos += 1
                args = self.balanced(")")
                self.pos += 1
                self.skip(newlines=False)
            elif self.pos < len(self.text) and self.text[self.pos] not in "{\n;}":
                args = self.balanced("{\n;}")
            children = None
            self.skip(newlines=False)
            if self.pos < len(self.text) and self.text[self.pos] == "{":
                self.pos += 1
                children = self.block(closing=True)
            nodes.append(Node(name, args, children, line))


def parse_nodes(text: str) -> list[Node]:
    """The statements of a Jenkinsfile as a tree of :class:`Node` (syntax only, no declarative rules)."""
    if not isinstance(text, str):
        raise ValueError(f"text must be the Jenkinsfile's text (a str), got {type(text).__name__}")
    return _Reader(text).block(closing=False)


def string_value(expression: str) -> str | None:
    """The text of a string literal (``'staging'`` gives ``staging``); ``None`` for anything else."""
    if not isinstance(expression, str):
        raise TypeError(f"expression must be a Groovy expression (a string), got {type(expression).__name__}.")
    match = _STRING.match(expression.strip())
    if not match:
        return None
    return next(group for group in match.groups() if group is not None)


def credentials_id(expression: str) -> str | None:
    """The id in ``credentials('id')``; ``None`` when the value does not come from Jenkins credentials."""
    if not isinstance(expression, str):
        raise TypeError(f"expression must be a Groovy expression (a string), got {type(expression).__name__}.")
    match = _CREDENTIALS.match(expression.strip())
    return match.group(2) if match else None
