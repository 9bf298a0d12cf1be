"""What a translator translates in a notebook cell: its *units*.

A markdown cell is one unit: its whole text. In a code cell the units are what a learner
reads: comments, docstrings (the specification of a function a learner completes), and
string literals that are printed, shown on a plot or raised (``print`` and ``display``
arguments, plot titles and axis labels, assertion messages, exception messages). Everything else in a code cell is code and stays as it is.

Each unit is keyed by the cell id and a short hash of its English text, so a translation
is tied to the exact English it translates: when the English changes, the translation is
stale.
"""

from __future__ import annotations

import ast
import hashlib
import io
import re
import tokenize
from dataclasses import dataclass

# Comments that are instructions to tools, not text for a learner.
TOOL_COMMENTS = re.compile(
    r"#+\s*(NBVAL_\w+|noqa\b|type:|fmt:|pragma\b|(BEGIN|END)\s+(SOLUTION|HIDDEN TESTS)\b|!|-\*-)"
)
# Calls whose string arguments a learner reads.
SHOWN_BY_CALL = frozenset(
    {"print", "display", "Markdown", "set_title", "set_xlabel", "set_ylabel", "suptitle", "title", "xlabel"}
    | {"ylabel", "text", "annotate", "warn", "fail", "skip"}
)
# Keyword arguments a learner reads on a plot or in a message, whatever the call.
SHOWN_KEYWORDS = frozenset({"title", "xlabel", "ylabel", "label", "msg", "message", "reason", "err_msg"})
MAGIC_LINE = re.compile(r"^\s*[%!]")


def text_hash(text: str) -> str:
    """The key of a unit: 12 hex digits of the SHA-256 of its English text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Unit:
    """One translatable piece of a cell: where it is (character offsets) and its text."""

    start: int
    end: int
    text: str
    kind: str  # "markdown", "comment" or "string"

    @property
    def key(self) -> str:
        return text_hash(self.text)


def _line_offsets(source: str) -> list[int]:
    offsets, total = [0], 0
    for line in source.splitlines(keepends=True):
        total += len(line)
        offsets.append(total)
    return offsets


def parsable(source: str) -> str:
    """The cell's source with IPython magics and shell lines blanked (same length), so it parses."""
    return "".join(
        (" " * (len(line) - len(line.lstrip("\r\n"))) + line[len(line.rstrip("\r\n")) :])
        if MAGIC_LINE.match(line)
        else line
        for line in source.splitlines(keepends=True)
    )


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _shown_strings(tree: ast.AST) -> list[ast.expr]:
    """String literals (plain or f-strings) that a learner sees printed, plotted or raised."""
    found: list[ast.expr] = []

    def strings_in(node: ast.expr | None) -> None:
        if node is None:
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str) or isinstance(node, ast.JoinedStr):
            found.append(node)
        elif isinstance(node, ast.BinOp | ast.BoolOp | ast.IfExp | ast.Tuple | ast.List):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    strings_in(child)
        elif isinstance(node, ast.Call) and _call_name(node) in {"format", "join"}:
            strings_in(node.func.value if isinstance(node.func, ast.Attribute) else None)

    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and ast.get_docstring(node):
            # A docstring is the task's specification where a learner writes the body.
            first = node.body[0]
            assert isinstance(first, ast.Expr)
            found.append(first.value)
        if isinstance(node, ast.Assert):
            strings_in(node.msg)
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            for arg in node.exc.args:
                strings_in(arg)
        elif isinstance(node, ast.Call):
            if _call_name(node) in SHOWN_BY_CALL:
                for arg in node.args:
                    strings_in(arg)
            for keyword in node.keywords:
                if keyword.arg in SHOWN_KEYWORDS:
                    strings_in(keyword.value)
    return found


def code_units(source: str) -> list[Unit]:
    """The comments and shown strings of a code cell, in source order.

    A cell that does not parse as Python (after blanking magics) yields its comments only.
    """
    offsets = _line_offsets(source)
    units: list[Unit] = []
    clean = parsable(source)
    try:
        for token in tokenize.generate_tokens(io.StringIO(clean).readline):
            if token.type == tokenize.COMMENT and not TOOL_COMMENTS.match(token.string):
                start = offsets[token.start[0] - 1] + token.start[1]
                units.append(Unit(start, start + len(token.string), token.string, "comment"))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return units
    try:
        tree = ast.parse(clean)
    except SyntaxError:
        return units
    seen: set[tuple[int, int]] = set()
    lines = source.splitlines(keepends=True)
    for node in _shown_strings(tree):
        assert node.end_lineno is not None and node.end_col_offset is not None
        # ast columns are UTF-8 byte offsets: convert through the line's bytes.
        start_line, end_line = lines[node.lineno - 1], lines[node.end_lineno - 1]
        start_col = len(start_line.encode("utf-8")[: node.col_offset].decode("utf-8"))
        end_col = len(end_line.encode("utf-8")[: node.end_col_offset].decode("utf-8"))
        start = offsets[node.lineno - 1] + start_col
        end = offsets[node.end_lineno - 1] + end_col
        if (start, end) in seen or not _has_words(source[start:end]):
            continue
        seen.add((start, end))
        units.append(Unit(start, end, source[start:end], "string"))
    return sorted(units, key=lambda unit: unit.start)


def _has_words(literal: str) -> bool:
    """True when a literal holds prose (two letters in a row outside its placeholders)."""
    without_fields = re.sub(r"\{[^{}]*\}", "", literal)
    body = re.sub(r"^[rbfuRBFU]*(\"\"\"|'''|\"|')", "", without_fields)
    return re.search(r"[A-Za-z]{2,}", body) is not None


def cell_units(cell_type: str, source: str) -> list[Unit]:
    """The units of one cell: a markdown cell whole, a code cell's comments and shown strings."""
    if cell_type == "markdown":
        return [Unit(0, len(source), source, "markdown")] if source.strip() else []
    if cell_type == "code":
        return code_units(source)
    return []


def apply(source: str, units: list[Unit], translations: dict[str, str]) -> str:
    """The source with each unit replaced by its translation (units without one stay)."""
    out = source
    for unit in sorted(units, key=lambda u: u.start, reverse=True):
        if unit.key in translations:
            out = out[: unit.start] + translations[unit.key] + out[unit.end :]
    return out
