"""Static scan of a learner's solution cells for APIs that can subvert grading.

The flags go to the gradebook's ``flags`` column for the instructor to review; they never
change a score by themselves (a course on MLOps may well use ``subprocess`` or threads).
"""

from __future__ import annotations

import re

#: flag name -> pattern searched in the solution cells' source
RED_FLAGS: dict[str, str] = {
    "set_custom_exc": r"set_custom_exc",
    "showtraceback": r"showtraceback|showsyntaxerror|CustomTB|InteractiveTB",
    "ipython-events": r"\bevents\s*\.\s*(register|callbacks)",
    "input-transformers": r"input_transformers?_|input_transformer_manager|ast_transformers",
    "run_cell": r"\brun_cell\b|\brun_code\b|\brun_ast_nodes\b|do_execute|shell_handlers",
    "get_ipython": r"get_ipython\s*\(",
    "trace-hooks": r"sys\s*\.\s*(settrace|setprofile)|threading\s*\.\s*(settrace|setprofile)",
    "excepthook": r"excepthook",
    "builtins-assignment": r"(__builtins__|builtins)\s*(\.\s*\w+|\[[^\]]+\])\s*=(?!=)|__builtins__\s*=(?!=)",
    "monkeypatch-library": r"\b(np|numpy|pd|pandas|math|operator|testing|npt|pdt)\s*\.[\w.]+\s*=(?!=)",
    "exit-kill": r"os\s*\.\s*(_exit|kill|killpg|abort)|signal\s*\.\s*(signal|alarm|pthread_kill)|sys\s*\.\s*exit",
    "ctypes": r"\bctypes\b",
    "gc-introspection": r"gc\s*\.\s*get_(objects|referrers|referents)",
    "frame-introspection": r"sys\s*\.\s*_getframe|f_back|f_globals|f_locals|inspect\s*\.\s*(stack|currentframe)",
    "sys-modules": r"sys\s*\.\s*modules|__subclasses__|meta_path",
    "reads-notebooks": r"\.ipynb|nbformat",
    "dynamic-code": r"\b(exec|eval|compile)\s*\(|__import__|importlib",
    "subprocess": r"\bsubprocess\b|os\s*\.\s*(system|popen|exec\w*|fork|spawn\w*)",
    "eq-override": r"def\s+__(eq|ne|bool|float|int|abs|lt|gt|le|ge|hash)__",
    "audit-hooks": r"addaudithook",
}
_COMPILED = {name: re.compile(pattern) for name, pattern in RED_FLAGS.items()}


def scan_sources(sources: list[str]) -> list[str]:
    """Names of the red flags found in the given cell sources, sorted.

    Args:
        sources: the learner's solution cells' source code.

    Returns:
        The matching flag names (empty for ordinary code).
    """
    text = "\n".join(sources)
    return sorted(name for name, pattern in _COMPILED.items() if pattern.search(text))
