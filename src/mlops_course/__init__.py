"""The shared package of the hands-on MLOps course.

Notebooks import what they need from the submodules (``mlops_course.data``,
``mlops_course.tracking``, ...); importing the package itself stays cheap.
"""

__version__ = "0.1.0"
