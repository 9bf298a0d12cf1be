"""Read and check a declarative Jenkinsfile offline: its structure, its stages, their steps and environment.

:func:`check_jenkinsfile` lists what is wrong (a ``pipeline`` block with ``agent`` and
``stages``; each ``stage('name')`` with exactly one of ``steps``, ``stages``, ``parallel``,
``matrix``; known sections, ``when`` conditions and ``post`` conditions; unique stage names;
``NAME = value`` environment entries; secrets only through ``credentials('id')``).
:func:`parse_jenkinsfile` returns a :class:`JenkinsPipeline`, or raises
:class:`JenkinsfileError` with that list. It reads the declarative syntax, not Groovy: code
inside ``script { }`` is kept as steps but not interpreted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from mlops_course.cicd.jenkins_syntax import JenkinsfileError, Node, credentials_id, parse_nodes, string_value

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?)$", re.IGNORECASE)

PIPELINE_SECTIONS = {
    "agent",
    "stages",
    "post",
    "environment",
    "options",
    "parameters",
    "triggers",
    "tools",
    "libraries",
}
STAGE_SECTIONS = {"agent", "environment", "tools", "input", "options", "when", "post", "failFast"}
STAGE_BODIES = {"steps", "stages", "parallel", "matrix"}
POST_CONDITIONS = {
    "always",
    "changed",
    "fixed",
    "regression",
    "aborted",
    "failure",
    "success",
    "unstable",
    "unsuccessful",
    "cleanup",
}
WHEN_CONDITIONS = {
    "branch",
    "buildingTag",
    "changelog",
    "changeset",
    "changeRequest",
    "environment",
    "equals",
    "expression",
    "tag",
    "not",
    "allOf",
    "anyOf",
    "triggeredBy",
    "beforeAgent",
    "beforeInput",
    "beforeOptions",
}
AGENT_KINDS = {"label", "node", "docker", "dockerfile", "kubernetes"}


@dataclass(frozen=True)
class JenkinsStage:
    """A stage: its name, shell steps, environment (``NAME`` to the value as written), ``when`` and sub-stages.

    ``when`` holds each condition as written (``branch 'main'``); conditions inside ``allOf``
    are listed one by one, ``anyOf`` and ``not`` stay whole (``anyOf``, ``not``).
    """

    name: str
    commands: tuple[str, ...]
    steps: tuple[str, ...]
    environment: Mapping[str, str] = field(default_factory=dict)
    when: tuple[str, ...] = ()
    stages: tuple[JenkinsStage, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class JenkinsPipeline:
    """A declarative pipeline: ``agent``, pipeline ``environment``, ``options``, stages and ``post`` conditions."""

    agent: str
    environment: Mapping[str, str]
    options: tuple[str, ...]
    stages: tuple[JenkinsStage, ...]
    post: Mapping[str, tuple[str, ...]]

    def all_stages(self) -> list[JenkinsStage]:
        """Every stage in file order, a stage before its sub-stages."""

        def walk(stages: tuple[JenkinsStage, ...]) -> list[JenkinsStage]:
            return [item for stage in stages for item in (stage, *walk(stage.stages))]

        return walk(self.stages)

    def stage(self, name: str) -> JenkinsStage:
        """The stage called ``name`` (at any depth)."""
        for stage in self.all_stages():
            if stage.name == name:
                return stage
        raise KeyError(f"no stage called {name!r}; stages: {[s.name for s in self.all_stages()]}")

    def environment_for(self, name: str) -> dict[str, str]:
        """The environment the steps of stage ``name`` see: the pipeline's, then each enclosing stage's, then its own."""

        def path(stages: tuple[JenkinsStage, ...], trail: tuple[JenkinsStage, ...]) -> tuple[JenkinsStage, ...] | None:
            for stage in stages:
                if stage.name == name:
                    return (*trail, stage)
                found = path(stage.stages, (*trail, stage))
                if found:
                    return found
            return None

        trail = path(self.stages, ())
        if trail is None:
            raise KeyError(f"no stage called {name!r}; stages: {[s.name for s in self.all_stages()]}")
        merged = dict(self.environment)
        for stage in trail:
            merged.update(stage.environment)
        return merged


def _shell_command(node: Node) -> str | None:
    """The command of an ``sh``/``bat``/``powershell`` step: ``sh 'x'``, ``sh("x")``, ``sh script: 'x'``."""
    if node.name not in ("sh", "bat", "powershell", "pwsh"):
        return None
    args = node.args.strip()
    named = re.search(r"""\bscript\s*:\s*('''.*?'''|\"\"\".*?\"\"\"|'[^']*'|"[^"]*")""", args, re.DOTALL)
    text = named.group(1) if named else args
    return string_value(text) if string_value(text) is not None else text


def _steps(nodes: list[Node]) -> tuple[list[str], list[str]]:
    """Step names and shell commands of a steps block, looking inside nested blocks (script, dir, withEnv, ...)."""
    names, commands = [], []
    for node in nodes:
        names.append(node.name)
        command = _shell_command(node)
        if command is not None:
            commands.append(command)
        if node.children:
            inner_names, inner_commands = _steps(node.children)
            names += inner_names
            commands += inner_commands
    return names, commands


def _environment(node: Node, where: str, problems: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for entry in node.children or []:
        value = entry.args.strip()
        if not _ENV_NAME.match(entry.name) or not value.startswith("=") or entry.children is not None:
            problems.append(f"line {entry.line}: {where} environment entries must be NAME = value, got {entry.name!r}")
            continue
        env[entry.name] = value[1:].strip()
    return env


def _sections(
    nodes: list[Node], allowed: set[str], where: str, problems: list[str], bodies: frozenset[str] = frozenset()
) -> dict[str, Node]:
    found: dict[str, Node] = {}
    for node in nodes:
        if node.name not in allowed | bodies:
            problems.append(
                f"line {node.line}: {node.name!r} is not allowed in {where} "
                f"(allowed: {', '.join(sorted(allowed | bodies))})"
            )
        elif node.name in found:
            problems.append(f"line {node.line}: {where} has more than one {node.name!r} section")
        else:
            found[node.name] = node
    return found


def _check_block(node: Node, where: str, problems: list[str], allow_empty: bool = False) -> list[Node]:
    if node.children is None:
        problems.append(f"line {node.line}: {where} needs a {{ }} block")
        return []
    if not node.children and not allow_empty:
        problems.append(f"line {node.line}: {where} is empty")
    return node.children


def _post(node: Node, where: str, problems: list[str]) -> dict[str, tuple[str, ...]]:
    post = {}
    for condition in _check_block(node, f"{where} post", problems):
        if condition.name not in POST_CONDITIONS:
            problems.append(
                f"line {condition.line}: {condition.name!r} is not a post condition "
                f"(use one of {', '.join(sorted(POST_CONDITIONS))})"
            )
        elif condition.children is None:
            problems.append(f"line {condition.line}: post condition {condition.name!r} needs a {{ }} block of steps")
        else:
            post[condition.name] = tuple(_steps(condition.children)[0])
    return post


def _agent(node: Node, where: str, problems: list[str]) -> str:
    if node.children is None:
        if node.args.strip() not in ("any", "none"):
            problems.append(
                f"line {node.line}: {where} agent must be 'any', 'none' or a {{ }} block, got {node.args!r}"
            )
        return node.args.strip()
    kinds = [child.name for child in node.children]
    if len(kinds) != 1 or kinds[0] not in AGENT_KINDS:
        problems.append(f"line {node.line}: {where} agent block must hold one of {', '.join(sorted(AGENT_KINDS))}")
    return kinds[0] if kinds else ""


def _when(node: Node, problems: list[str]) -> tuple[str, ...]:
    conditions: list[str] = []
    for condition in _check_block(node, "when", problems):
        if condition.name not in WHEN_CONDITIONS:
            problems.append(f"line {condition.line}: {condition.name!r} is not a when condition")
        if condition.name == "allOf" and condition.children:  # all must hold: as if written one by one
            conditions.extend(_when(condition, problems))
        else:
            conditions.append(f"{condition.name} {condition.args}".strip())
    return tuple(conditions)


def _stage(node: Node, names: list[str], problems: list[str]) -> JenkinsStage | None:
    name = string_value(node.args)
    if node.name != "stage" or name is None:
        problems.append(f"line {node.line}: stages may hold only stage('name') {{ ... }}, got {node.name} {node.args}")
        return None
    where = f"stage {name!r}"
    if name in names:
        problems.append(f"line {node.line}: two stages are called {name!r}")
    names.append(name)
    sections = _sections(_check_block(node, where, problems), STAGE_SECTIONS, where, problems, frozenset(STAGE_BODIES))
    bodies = [key for key in sections if key in STAGE_BODIES]
    if len(bodies) != 1:
        problems.append(
            f"line {node.line}: {where} must have exactly one of steps, stages, parallel, matrix; got {bodies or 'none'}"
        )
    env = _environment(sections["environment"], where, problems) if "environment" in sections else {}
    if "agent" in sections:
        _agent(sections["agent"], where, problems)
    if "post" in sections:
        _post(sections["post"], where, problems)
    when = _when(sections["when"], problems) if "when" in sections else ()
    steps: list[str] = []
    commands: list[str] = []
    children: list[JenkinsStage] = []
    if "steps" in sections:
        steps, commands = _steps(_check_block(sections["steps"], f"{where} steps", problems))
    for body in ("stages", "parallel"):
        if body in sections:
            for child in _check_block(sections[body], f"{where} {body}", problems):
                parsed = _stage(child, names, problems)
                if parsed:
                    children.append(parsed)
    return JenkinsStage(name, tuple(commands), tuple(steps), env, when, tuple(children), node.line)


def _literal_secrets(pipeline: JenkinsPipeline) -> list[str]:
    problems = []
    scopes = [("pipeline", pipeline.environment)] + [
        (f"stage {s.name!r}", s.environment) for s in pipeline.all_stages()
    ]
    for where, env in scopes:
        for key, value in env.items():
            if _SECRET_NAME.search(key) and credentials_id(value) is None:
                problems.append(
                    f"{where} sets the secret {key} to {value[:12]}...: take it from Jenkins with credentials('<id>')"
                )
    return problems


def _build(text: str, problems: list[str]) -> JenkinsPipeline | None:
    try:
        nodes = parse_nodes(text)
    except JenkinsfileError as error:
        problems.extend(error.problems)
        return None
    top = [node for node in nodes if not node.name.startswith("@")]
    if [node.name for node in top] != ["pipeline"] or top[0].children is None:
        problems.append("the file must hold exactly one pipeline { ... } block (declarative syntax)")
        return None
    sections = _sections(top[0].children, PIPELINE_SECTIONS, "pipeline", problems)
    for required in ("agent", "stages"):
        if required not in sections:
            problems.append(f"the pipeline has no {required} section")
    agent = _agent(sections["agent"], "pipeline", problems) if "agent" in sections else ""
    env = _environment(sections["environment"], "pipeline", problems) if "environment" in sections else {}
    options = (
        tuple(f"{o.name}({o.args})" for o in (sections["options"].children or [])) if "options" in sections else ()
    )
    names: list[str] = []
    stages = []
    if "stages" in sections:
        for node in _check_block(sections["stages"], "stages", problems):
            parsed = _stage(node, names, problems)
            if parsed:
                stages.append(parsed)
    post = _post(sections["post"], "pipeline", problems) if "post" in sections else {}
    pipeline = JenkinsPipeline(agent, env, options, tuple(stages), post)
    problems.extend(_literal_secrets(pipeline))
    return pipeline


def check_jenkinsfile(text: str) -> list[str]:
    """What is wrong with a declarative Jenkinsfile, one line per problem; an empty list means valid."""
    problems: list[str] = []
    _build(text, problems)
    return problems


def parse_jenkinsfile(text: str) -> JenkinsPipeline:
    """The declarative pipeline in ``text``.

    Raises:
        JenkinsfileError: the structure is wrong or a secret is written in the file (see :func:`check_jenkinsfile`).
    """
    problems: list[str] = []
    pipeline = _build(text, problems)
    if problems or pipeline is None:
        raise JenkinsfileError(problems or ["the file holds no pipeline"])
    return pipeline


__all__ = [
    "JenkinsPipeline",
    "JenkinsStage",
    "JenkinsfileError",
    "Node",
    "check_jenkinsfile",
    "credentials_id",
    "parse_jenkinsfile",
    "parse_nodes",
    "string_value",
]
