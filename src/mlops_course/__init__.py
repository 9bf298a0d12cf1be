"""The shared package of the hands-on MLOps course.

Content follows the course: the shared pieces (``data``, ``models``, ``tracking``, ``psi``,
``paths``) at the top, then one sub-package per module (``lifecycle``, ``workflows``,
``production``, ``cicd``, ``infra``, ``dataquality``). Course tooling (``grading``,
``classroom``, ``cli``) lives apart. Importing the package itself stays cheap: it imports
neither MLflow nor Evidently.
"""

__version__ = "0.1.0"
