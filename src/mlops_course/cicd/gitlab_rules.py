"""GitLab's ``rules:if`` expressions, evaluated as GitLab does, for the local runner."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:(?P<op>&&|\|\||==|!=|=~|!~|\(|\))|(?P<var>\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)|"""
    r"""(?P<str>"[^"]*"|'[^']*')|(?P<re>/(?:\\.|[^/])*/[a-z]*)|(?P<null>null\b))"""
)


class _Expression:
    """GitLab's ``rules:if`` expressions: ``$VAR``, ``==``, ``!=``, ``=~``, ``!~``, ``&&``, ``||``, parentheses."""

    def __init__(self, text: str, variables: Mapping[str, str]) -> None:
        self.text, self.variables, self.tokens = text, variables, []
        position = 0
        while position < len(text.rstrip()):
            match = _TOKEN.match(text, position)
            if not match or match.end() == position:
                raise ValueError(f"rules:if {text!r}: cannot read {text[position:].strip()!r}")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.at = 0

    def evaluate(self) -> bool:
        value = self._or()
        if self.at != len(self.tokens):
            raise ValueError(f"rules:if {self.text!r}: unexpected {self.tokens[self.at][1]!r}")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def _or(self) -> bool:
        value = self._and()
        while self._peek() == "||":
            self.at += 1
            right = self._and()
            value = value or right
        return value

    def _and(self) -> bool:
        value = self._comparison()
        while self._peek() == "&&":
            self.at += 1
            right = self._comparison()
            value = value and right
        return value

    def _operand(self) -> tuple[str, str | None]:
        if self.at >= len(self.tokens):
            raise ValueError(f"rules:if {self.text!r}: ends too early")
        kind, text = self.tokens[self.at]
        self.at += 1
        if kind == "var":
            return "value", self.variables.get(text.strip("${}"))
        if kind == "str":
            return "value", text[1:-1]
        if kind in ("re", "null"):
            return kind, text if kind == "re" else None
        raise ValueError(f"rules:if {self.text!r}: expected a variable, string, regex or null, got {text!r}")

    def _comparison(self) -> bool:
        if self._peek() == "(":
            self.at += 1
            value = self._or()
            if self._peek() != ")":
                raise ValueError(f"rules:if {self.text!r}: missing ')'")
            self.at += 1
            return value
        _, left = self._operand()
        op = self._peek()
        if op not in ("==", "!=", "=~", "!~"):
            return bool(left)  # `$VAR` alone: defined and not empty
        self.at += 1
        kind, right = self._operand()
        if op in ("==", "!="):
            return (left == right) == (op == "==")
        pattern = str(right or "")
        body, _, flags = pattern[1:].rpartition("/") if kind == "re" else (pattern, "", "")
        found = re.search(body, left or "", re.IGNORECASE if "i" in flags else 0) is not None
        return found == (op == "=~")


def evaluate_rules(rules: tuple[Mapping[str, Any], ...], variables: Mapping[str, str], job: str = "") -> dict[str, Any]:
    """The first rule of ``rules`` that matches (its ``when``, ``allow_failure``, ``variables``), as GitLab picks it.

    No rules: ``{}`` (the job's own ``when`` applies, as it does for a matching rule without
    ``when``). Rules but none matches: ``{"when": "never"}``.
    """
    for rule in rules:
        unknown = set(rule) - {"if", "when", "allow_failure", "variables"}
        if unknown:
            raise ValueError(
                f"job {job!r}: rules:{', rules:'.join(sorted(unknown))} is not supported by the local runner"
            )
        if "if" not in rule or _Expression(str(rule["if"]), variables).evaluate():
            return dict(rule)
    return {"when": "never"} if rules else {}
