"""Release, self-check and auto-grading of the course's exercises (nbgrader format, nbval).

Modules: :mod:`.format` (cell metadata), :mod:`.release`, :mod:`.merge`, :mod:`.grade`
(the class), :mod:`.jobs` (one sandboxed run), :mod:`.runner` (pytest + nbval + the
verdict plugin), :mod:`.kernel_guard` (inside the kernel), :mod:`.sandbox`, :mod:`.scan`,
:mod:`.gradebook`, :mod:`.feedback`, :mod:`.summary`, :mod:`.check`, :mod:`.commands`.
"""
