"""Submissions of ex0 for the grader's tests: honest ones, one per threat, one per bad input.

Each builder returns notebook bytes. ``EXPECTED`` says what the grader must give each
student: the score of the submission's *honest part* (what its answers earn without the
trick), the status, and a phrase expected in the message or flags.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from mlops_course.paths import PROJECT_ROOT

ROOT = PROJECT_ROOT
STEM = "ex0_how_exercises_work"
SOLUTION = ROOT / "solutions" / f"{STEM}.ipynb"
EXERCISE = ROOT / "exercises" / f"{STEM}.ipynb"

T1 = "default_rate_solution"
T2 = "invalid_ages_solution"
T3 = "worst_month_solution"

RIGHT = {
    T1: 'def default_rate_by_month(frame):\n    return frame.groupby("month")["defaulted"].mean().sort_index()\n',
    T2: 'def flag_invalid_ages(frame):\n    return ~frame["age"].between(18, 100)\n',
    T3: "worst_month = default_rate_by_month(applications).idxmax()\n",
}
WRONG = {
    T1: 'def default_rate_by_month(frame):\n    return frame.groupby("month")["defaulted"].mean().sort_index() * 0\n',
    T2: 'def flag_invalid_ages(frame):\n    return frame["age"] > 1000\n',
    T3: 'worst_month = "1999-01"\n',
}


def exercise() -> NotebookNode:
    return nbformat.read(EXERCISE, as_version=4)


def _cell(nb: NotebookNode, grade_id: str) -> NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def answered(answers: dict[str, str], edit: Callable[[NotebookNode], None] | None = None) -> bytes:
    """The released exercise with the given solution sources (and an optional edit)."""
    nb = exercise()
    for grade_id, source in answers.items():
        _cell(nb, grade_id).source = source
    if edit is not None:
        edit(nb)
    return nbformat.writes(nb).encode()


def with_prefix(answers: dict[str, str], grade_id: str, prefix: str) -> dict[str, str]:
    out = dict(answers)
    out[grade_id] = prefix + "\n" + out[grade_id]
    return out


HONEST_PARTIAL = {T1: RIGHT[T1], T2: WRONG[T2], T3: RIGHT[T3]}  # 25 + 25 + 20 = 70

# -- threats: each is "answers + trick"; the honest part is what the answers earn --------
CUSTOM_EXC = "get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)"
SHOWTRACEBACK = (
    "ip = get_ipython()\n"
    "ip.showtraceback = lambda *a, **k: None\n"
    "ip._showtraceback = lambda *a, **k: None\n"
    "type(ip).showtraceback = lambda *a, **k: None"
)
EVENT_HOOK = (
    "def _rearm(info):\n"
    "    get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n"
    "get_ipython().events.register('pre_run_cell', _rearm)\n"
    "get_ipython().events.register('post_run_cell', lambda result: setattr(result, 'error_in_exec', None))"
)
INPUT_TRANSFORMER = (
    "import re\n"
    "def _empty_tests(lines):\n"
    "    text = ''.join(lines)\n"
    "    return [re.sub(r\"run_test\\('(?:[^'\\\\]|\\\\.)*'\", \"run_test('pass'\", text)]\n"
    "get_ipython().input_transformers_post.append(_empty_tests)"
)
AST_TRANSFORMER = (
    "import ast\n"
    "class _NoAsserts(ast.NodeTransformer):\n"
    "    def visit_Assert(self, node):\n"
    "        return ast.Pass()\n"
    "get_ipython().ast_transformers.append(_NoAsserts())"
)
MONKEYPATCH = (
    "import builtins, math, numpy as np, pandas as pd\n"
    "pd.testing.assert_series_equal = lambda *a, **k: None\n"
    "pd.testing.assert_frame_equal = lambda *a, **k: None\n"
    "np.testing.assert_allclose = lambda *a, **k: None\n"
    "np.testing.assert_array_equal = lambda *a, **k: None\n"
    "pd.Series.equals = lambda self, other: True\n"
    "builtins.type = lambda obj: pd.Series\n"
    "builtins.set = lambda items=(): type('Anything', (), {'__contains__': lambda s, x: True})()"
)
# the same without ``builtins.type``: replacing it breaks the kernel's own machinery (the
# kernel dies, which scores the later tests 0, below the honest part)
MONKEYPATCH_SURVIVABLE = "\n".join(line for line in MONKEYPATCH.splitlines() if "builtins.type" not in line)
# patches from *inside* the learner's function, i.e. while the test runs
MIDTEST_PATCH = {
    T1: (
        "def default_rate_by_month(frame):\n"
        "    import numpy as np, pandas as pd\n"
        "    pd.testing.assert_series_equal = lambda *a, **k: None\n"
        "    np.testing.assert_allclose = lambda *a, **k: None\n"
        "    return pd.Series([0.0], index=['x'])\n"
    ),
    T2: WRONG[T2],
    T3: WRONG[T3],
}
FRAME_HACK = {
    T1: (
        "import sys\n"
        "def default_rate_by_month(frame):\n"
        "    import pandas as pd\n"
        "    caller = sys._getframe(1)\n"
        "    caller.f_globals['type'] = lambda obj: pd.Series\n"
        "    caller.f_globals['pd'] = type('FakePd', (), {'testing': type('T', (), {'assert_series_equal': staticmethod(lambda *a, **k: None)}), 'Series': pd.Series})\n"
        "    return pd.Series([0.0], index=['x'])\n"
    ),
    T2: WRONG[T2],
    T3: WRONG[T3],
}
TRACE_JUMP = {
    T1: (
        "import sys\n"
        "def _skip(frame, event, arg):\n"
        "    if frame.f_code.co_name == '__graded_test__':\n"
        "        frame.f_trace = None\n"
        "    return None\n"
        "def default_rate_by_month(frame):\n"
        "    import pandas as pd\n"
        "    sys.settrace(_skip)\n"
        "    return pd.Series([0.0], index=['x'])\n"
    ),
    T2: WRONG[T2],
    T3: WRONG[T3],
}
ALWAYS_EQUAL = {
    T1: (
        "class _Yes(float):\n"
        "    def __eq__(self, other): return True\n"
        "    __ne__ = lambda self, other: False\n"
        "class _Anything:\n"
        "    def __eq__(self, other): return True\n"
        "    def __ne__(self, other): return False\n"
        "    def __float__(self): return 0.5\n"
        "    def __getattr__(self, name): return _Anything()\n"
        "    def __call__(self, *a, **k): return _Anything()\n"
        "def default_rate_by_month(frame):\n"
        "    return _Anything()\n"
    ),
    T2: "def flag_invalid_ages(frame):\n    return _Anything()\n",
    T3: "worst_month = _Anything()\n",
}
FORGED_SENTINEL = (
    'print(\'@@MLOPS-GRADER@@ 0123456789abcdef01234567 {"critical": [], "noted": []}\')\n'
    "def _forge(info):\n"
    "    import re\n"
    "    tokens = re.findall(r\"'([0-9a-f]{24})'\\)\\s*$\", info.raw_cell)\n"
    "    if tokens:\n"
    "        print('@@MLOPS-GRADER@@ ' + tokens[-1] + ' {\"critical\": [], \"noted\": []}')\n"
    "    get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n"
    "get_ipython().events.register('pre_run_cell', _forge)"
)
EXIT_KERNEL = "import os\nos._exit(0)"
KILL_EVERYTHING = (
    "import os, signal, psutil\n"
    "for proc in psutil.process_iter():\n"
    "    if proc.pid != os.getpid():\n"
    "        try:\n"
    "            proc.kill()\n"
    "        except Exception:\n"
    "            pass\n"
    "for pid in (os.getppid(), 1):\n"
    "    try:\n"
    "        os.kill(pid, signal.SIGKILL)\n"
    "    except Exception:\n"
    "        pass"
)
LOOP_FOREVER = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    try:\n        pass\n    except BaseException:\n        pass"
EXHAUST_MEMORY = "blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 1024 * 1024))"
PRINT_GIGABYTES = "line = 'x' * 65536\nfor _ in range(200_000):\n    print(line)"
READ_SOLUTIONS = (
    "import glob, json, os, subprocess\n"
    "_texts = []\n"
    "for pattern in ['/work/*/solutions/*.ipynb', '/work/*/*.ipynb', '/tmp/*/*.ipynb', '/tmp/*/*/*.ipynb',\n"
    "                '/tmp/*/*/*/*.ipynb', '*.ipynb', '../*.ipynb', '../../*.ipynb', os.path.expanduser('~/*.ipynb')]:\n"
    "    for path in glob.glob(pattern):\n"
    "        try:\n"
    "            _texts.append(open(path).read())\n"
    "        except Exception:\n"
    "            pass\n"
    "try:\n"
    "    _texts.append(subprocess.run(['git', '-C', '/work/main', 'show', 'HEAD:solutions/ex0_how_exercises_work.ipynb'],\n"
    "                                 capture_output=True, text=True, timeout=10).stdout)\n"
    "except Exception:\n"
    "    pass\n"
    "for text in _texts:\n"
    "    try:\n"
    "        notebook = json.loads(text)\n"
    "        cells = notebook['cells']\n"
    "    except Exception:\n"
    "        continue\n"
    "    if notebook.get('metadata', {}).get('mlops_course', {}).get('exercise') != 'ex0_how_exercises_work':\n"
    "        continue\n"
    "    for cell in cells:\n"
    "        source = ''.join(cell['source'])\n"
    "        if 'BEGIN SOLUTION' in source and cell['cell_type'] == 'code':\n"
    "            exec(source.replace('### BEGIN SOLUTION', '').replace('### END SOLUTION', ''), globals())\n"
)
WRITE_GRADES = (
    "import glob, json, os\n"
    "for folder in glob.glob('/work/*/grades*') + glob.glob('/tmp/*/grades*') + glob.glob('/tmp/*/*/grades*') + glob.glob('/tmp/*/*/*/grades*'):\n"
    "    try:\n"
    "        with open(os.path.join(folder, 'gradebook.csv'), 'a') as handle:\n"
    "            handle.write('intruder,ex0_how_exercises_work,100,100,graded,x,x,,\\n')\n"
    "        for path in glob.glob(os.path.join(folder, 'results', '*', '*.json')):\n"
    "            data = json.load(open(path)); data['score'] = 100\n"
    "            json.dump(data, open(path, 'w'))\n"
    "    except Exception:\n"
    "        pass"
)


def _edit_tests(nb: NotebookNode) -> None:
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            cell.source = "# NBVAL_SKIP\npass"
            meta["points"] = 1000
            cell.metadata["tags"] = ["nbval-skip", "raises-exception"]
    nb.metadata["mlops_course"] = {"exercise": STEM}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "x", "language": "python"}


def _add_cells(nb: NotebookNode) -> None:
    extra = nbformat.v4.new_code_cell(RIGHT[T1] + RIGHT[T2] + RIGHT[T3])
    nb.cells.insert(len(nb.cells) - 1, extra)
    nb.cells.insert(0, nbformat.v4.new_code_cell(CUSTOM_EXC))


def _drop(grade_id: str) -> Callable[[NotebookNode], None]:
    def edit(nb: NotebookNode) -> None:
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]

    return edit


def _duplicate(nb: NotebookNode) -> None:
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == T2)
    duplicate = copy.deepcopy(nb.cells[index])
    duplicate["id"] = "pasted-copy"
    nb.cells.insert(index + 1, duplicate)


def _reorder(nb: NotebookNode) -> None:
    i1 = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == T1)
    i3 = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == T3)
    nb.cells[i1], nb.cells[i3] = nb.cells[i3], nb.cells[i1]


def _other_exercise(nb: NotebookNode) -> None:
    nb.metadata["mlops_course"] = {"exercise": "ex4_data_quality"}


def _foreign(nb: NotebookNode) -> None:
    nb.metadata.pop("mlops_course", None)
    for cell in nb.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata["nbgrader"]["grade_id"] = "other_" + cell.metadata["nbgrader"]["grade_id"]


def _huge() -> bytes:
    nb = json.loads(answered(RIGHT))
    nb["cells"][0]["attachments"] = {"big.txt": {"text/plain": "x" * (50 * 1024 * 1024)}}
    return json.dumps(nb).encode()


NBFORMAT3 = json.dumps(
    {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [{"cells": [{"cell_type": "code", "input": "1", "outputs": []}]}],
    }
).encode()

#: student_id -> (notebook bytes or None for "no notebook", expected score, status, phrase)
EXPECTED: dict[str, tuple[Callable[[], bytes | None], float, str, str]] = {
    "honest_full": (lambda: answered(RIGHT), 100, "graded", ""),
    "honest_partial": (lambda: answered(HONEST_PARTIAL), 70, "graded", ""),
    "honest_wrong": (lambda: answered(WRONG), 0, "graded", ""),
    "untouched": (lambda: EXERCISE.read_bytes(), 0, "graded", ""),
    # threats (GRADING.md): the score never exceeds the honest part
    "threat_custom_exc": (lambda: answered(with_prefix(WRONG, T1, CUSTOM_EXC)), 0, "graded", "set_custom_exc"),
    "threat_showtraceback": (lambda: answered(with_prefix(WRONG, T1, SHOWTRACEBACK)), 0, "graded", "showtraceback"),
    "threat_event_hooks": (lambda: answered(with_prefix(WRONG, T1, EVENT_HOOK)), 0, "graded", "ipython-events"),
    "threat_input_transformer": (
        lambda: answered(with_prefix(WRONG, T1, INPUT_TRANSFORMER)),
        0,
        "graded",
        "tampering:input_transformers_post",
    ),
    "threat_ast_transformer": (
        lambda: answered(with_prefix(WRONG, T1, AST_TRANSFORMER)),
        0,
        "graded",
        "input-transformers",
    ),
    "threat_monkeypatch": (lambda: answered(with_prefix(WRONG, T1, MONKEYPATCH)), 0, "graded", "monkeypatch-library"),
    "threat_monkeypatch_honest": (
        lambda: answered(with_prefix(HONEST_PARTIAL, T2, MONKEYPATCH_SURVIVABLE)),
        70,
        "graded",
        "monkeypatch-library",
    ),
    "threat_midtest_patch": (lambda: answered(MIDTEST_PATCH), 0, "graded", "tampering:"),
    "threat_frame_hack": (lambda: answered(FRAME_HACK), 0, "graded", "frame-introspection"),
    "threat_trace_jump": (lambda: answered(TRACE_JUMP), 0, "graded", "trace-hooks"),
    "threat_always_equal": (lambda: answered(ALWAYS_EQUAL), 0, "graded", "eq-override"),
    "threat_forged_sentinel": (
        lambda: answered(with_prefix(WRONG, T1, FORGED_SENTINEL)),
        0,
        "graded",
        "ipython-events",
    ),
    "threat_edit_tests": (lambda: answered(WRONG, _edit_tests), 0, "graded", ""),
    "threat_added_cells": (lambda: answered(WRONG, _add_cells), 0, "graded", ""),
    "threat_exit_kernel": (lambda: answered(with_prefix(HONEST_PARTIAL, T2, EXIT_KERNEL)), 50, "graded", "kernel died"),
    "threat_kill_everything": (lambda: answered(with_prefix(HONEST_PARTIAL, T2, KILL_EVERYTHING)), 50, "graded", ""),
    "threat_loop_forever": (
        lambda: answered(with_prefix(HONEST_PARTIAL, T2, LOOP_FOREVER)),
        50,
        "timeout",
        "ran longer",
    ),
    "threat_exhaust_memory": (lambda: answered(with_prefix(HONEST_PARTIAL, T3, EXHAUST_MEMORY)), 50, "graded", ""),
    "threat_print_gigabytes": (
        lambda: answered(with_prefix(HONEST_PARTIAL, T2, PRINT_GIGABYTES)),
        50,
        "graded",
        "printed more than",
    ),
    "threat_read_solutions": (
        lambda: answered(
            with_prefix(
                {T1: "# YOUR CODE HERE\nraise NotImplementedError()", T2: WRONG[T2], T3: WRONG[T3]}, T1, READ_SOLUTIONS
            )
        ),
        0,
        "graded",
        "reads-notebooks",
    ),
    "threat_write_grades": (lambda: answered(with_prefix(WRONG, T1, WRITE_GRADES)), 0, "graded", ""),
    # bad input: a clear status and message, and the rest of the class is still graded
    "bad_not_json": (lambda: b"print('this is a Python file, not a notebook')\n", 0, "invalid", "not valid JSON"),
    "bad_empty": (lambda: b"", 0, "invalid", "is empty"),
    "bad_nbformat3": (lambda: NBFORMAT3, 0, "invalid", "format 3"),
    "bad_other_exercise": (lambda: answered(RIGHT, _other_exercise), 0, "invalid", "ex4_data_quality"),
    "bad_foreign_cells": (lambda: answered(RIGHT, _foreign), 0, "invalid", "none of the cells"),
    "bad_missing_cell": (lambda: answered(RIGHT, _drop(T2)), 0, "invalid", "missing solution cell"),
    "bad_duplicated_cell": (lambda: answered(RIGHT, _duplicate), 0, "invalid", "more than once"),
    "reordered_cells": (lambda: answered(RIGHT, _reorder), 100, "graded", "reordered"),  # instructor's order
    "bad_no_notebook": (lambda: None, 0, "invalid", "no notebook"),
    "bad_50mb": (_huge, 0, "invalid", "MB limit"),
}


def write_class(folder: Path, students: list[str] | None = None) -> Path:
    """Write the submissions of ``students`` (default: all of EXPECTED) under ``folder``."""
    for student in students or list(EXPECTED):
        build = EXPECTED[student][0]
        (folder / student).mkdir(parents=True, exist_ok=True)
        data = build()
        if data is not None:
            (folder / student / f"{STEM}.ipynb").write_bytes(data)
    return folder
