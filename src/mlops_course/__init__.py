"""The shared package of the hands-on MLOps course.

Notebooks import what they need from the submodules (``mlops_course.data``,
``mlops_course.tracking``, ...); importing the package itself stays cheap.
"""

import warnings

__version__ = "0.1.0"

# tqdm.auto (imported by mlflow) warns on stderr when ipywidgets is absent; the course
# shows no progress widgets, so the warning is noise in every notebook.
warnings.filterwarnings("ignore", message="IProgress not found")
