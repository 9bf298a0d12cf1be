"""The README's first command leaves a running JupyterLab serving the course (checked via its API)."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

pytestmark = pytest.mark.integration


async def _execute_over_websocket(lab, kernel_id: str, code: str, timeout: float = 300.0) -> tuple[str, str]:
    """Run ``code`` in a kernel through the server's websocket, as JupyterLab does; return (status, stdout)."""
    from tornado.websocket import websocket_connect

    url = lab.url.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels?token={lab.token}"
    connection = await asyncio.wait_for(websocket_connect(url), timeout)
    msg_id, session = uuid.uuid4().hex, uuid.uuid4().hex
    header = {
        "msg_id": msg_id,
        "msg_type": "execute_request",
        "username": "test",
        "session": session,
        "version": "5.3",
        "date": "",
    }
    content = {"code": code, "silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False}
    await connection.write_message(
        json.dumps({"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell"})
    )
    stdout, status, idle = [], "no reply", False
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    # The reply comes on the shell channel, the output on iopub: the two are not ordered, so read
    # until both the reply and iopub's "idle" for this request (after all its output) have come.
    while loop.time() < deadline and not (idle and status != "no reply"):
        raw = await asyncio.wait_for(connection.read_message(), max(1.0, deadline - loop.time()))
        if raw is None:
            break
        message = json.loads(raw)
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if message["msg_type"] == "stream":
            stdout.append(message["content"]["text"])
        elif message["msg_type"] == "execute_reply":
            status = message["content"]["status"]
        elif message["msg_type"] == "status" and message["content"].get("execution_state") == "idle":
            idle = True
    connection.close()
    return status, "".join(stdout)


def test_make_course_serves_the_course_with_its_kernel(lab) -> None:
    specs = lab.api("/api/kernelspecs").json()["kernelspecs"]
    assert "mlops-course" in specs, f"the course kernel is not registered: {sorted(specs)}"
    assert specs["mlops-course"]["spec"]["display_name"] == "Python 3 (MLOps course)"

    top = {item["name"] for item in lab.api("/api/contents").json()["content"]}
    assert {"START_HERE.md", "notebooks", "exercises", "solutions"} <= top
    modules = [i["name"] for i in lab.api("/api/contents/notebooks").json()["content"] if i["name"].endswith(".ipynb")]
    assert modules, "no module notebooks served"

    viewers = lab.api("/lab/api/settings/@jupyterlab/docmanager-extension:plugin").json()
    assert viewers["schema"]["properties"]["defaultViewers"]["default"] == {"markdown": "Markdown Preview"}

    kernel = lab.api("/api/kernels", method="POST", json={"name": "mlops-course"})
    assert kernel.status_code == 201, kernel.text
    kernel_id = kernel.json()["id"]
    try:
        status, stdout = asyncio.run(
            _execute_over_websocket(
                lab, kernel_id, "import mlops_course, sys; print(mlops_course.__version__, sys.prefix)"
            )
        )
    finally:
        lab.api(f"/api/kernels/{kernel_id}", method="DELETE")
    assert status == "ok", f"the course kernel did not run code: {status} {stdout}"
    version, prefix = stdout.split()
    assert version and prefix.endswith(".venv"), f"the course kernel does not run in the course environment: {stdout}"
