"""The README's first command leaves a running JupyterLab serving the course (checked via its API)."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.integration


def test_make_course_serves_the_course_with_its_kernel(lab) -> None:  # noqa: ANN001 - fixture
    specs = lab.api("/api/kernelspecs").json()["kernelspecs"]
    assert "mlops-course" in specs, f"the course kernel is not registered: {sorted(specs)}"
    assert specs["mlops-course"]["spec"]["display_name"] == "Python 3 (MLOps course)"

    top = {item["name"] for item in lab.api("/api/contents").json()["content"]}
    assert {"START_HERE.md", "notebooks", "exercises", "solutions"} <= top
    modules = [i["name"] for i in lab.api("/api/contents/notebooks").json()["content"] if i["name"].endswith(".ipynb")]
    assert modules, "no module notebooks served"

    viewers = lab.api("/lab/api/settings/@jupyterlab/docmanager-extension:plugin").json()
    assert viewers["schema"]["properties"]["defaultViewers"]["default"] == {"markdown": "Markdown Preview"}

    session = lab.api(
        "/api/sessions",
        method="POST",
        json={"path": "notebooks/launch-probe.ipynb", "type": "notebook", "kernel": {"name": "mlops-course"}},
    )
    assert session.status_code == 201, session.text
    kernel_id = session.json()["kernel"]["id"]
    state = "starting"
    for _ in range(360):  # a loaded CI machine can take minutes to start a kernel
        state = lab.api(f"/api/kernels/{kernel_id}").json()["execution_state"]
        if state == "idle":
            break
        time.sleep(0.5)
    lab.api(f"/api/sessions/{session.json()['id']}", method="DELETE")
    assert state == "idle", f"the course kernel did not start: {state}"
