"""Read and validate the playbook files: one `<type>.yaml` for each incident type."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

from bot.errors import ConfigError
from bot.playbook.schemas import Playbook
from bot.vocabulary import IncidentType


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that rejects a key repeated in one mapping instead of keeping the last."""


def _construct_unique_mapping(loader: _StrictLoader, node: MappingNode) -> dict[Hashable, Any]:
    """Build a mapping, raising on a duplicate key with its position."""
    seen: set[Hashable] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def builtin_playbooks() -> Traversable:
    """The playbooks shipped inside the package (`bot/playbooks/`)."""
    return resources.files("bot") / "playbooks"


def load_playbooks(folder: Traversable) -> dict[IncidentType, Playbook]:
    """Load every `*.yaml` playbook in `folder`; raise ConfigError listing each problem found."""
    found = folder.iterdir() if folder.is_dir() else ()
    files = sorted((f for f in found if f.name.endswith(".yaml")), key=lambda f: f.name)
    if not files:
        raise ConfigError(f"{folder}: no playbook files (*.yaml) found")
    playbooks: dict[IncidentType, Playbook] = {}
    problems: list[str] = []
    for path in files:
        try:
            playbook = load_playbook(path)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        playbooks[playbook.type] = playbook
    if not problems:
        problems = _missing_types(folder, playbooks)
    if problems:
        raise ConfigError("\n".join(problems))
    return playbooks


def load_playbook(path: Traversable) -> Playbook:
    """Load and validate one playbook file; its name must be `<type>.yaml`."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping with type, title, summary and phases at the top level"
        )
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            "\n".join(_describe(path, error, data) for error in exc.errors())
        ) from None
    if path.name.removesuffix(".yaml") != playbook.type.value:
        raise ConfigError(
            f"{path}: type: {playbook.type.value!r} does not match the file name; "
            f"name the file {playbook.type.value}.yaml"
        )
    return playbook


def _read_yaml(path: Traversable) -> Any:
    """Parse one YAML file, turning read and syntax errors into ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(f"{path}: invalid YAML: {where}{exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None


def _missing_types(folder: Traversable, playbooks: dict[IncidentType, Playbook]) -> list[str]:
    """Return one problem per incident type that has no playbook."""
    return [
        f"{folder}: type: no playbook for {kind.value!r}; add {kind.value}.yaml"
        for kind in IncidentType
        if kind not in playbooks
    ]


def _describe(path: Traversable, error: ErrorDetails, data: Any) -> str:
    """Format one validation error as `file: field.path (step 'id'): message`."""
    loc = error["loc"]
    message = error["msg"].removeprefix("Value error, ")
    if not loc:
        return f"{path}: {message}"
    return f"{path}: {_field_path(loc)}{_step_hint(loc, data)}: {message}"


def _field_path(loc: Sequence[int | str]) -> str:
    """Render a pydantic location as `phases[1].steps[2].action`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _step_hint(loc: Sequence[int | str], data: Any) -> str:
    """Name the step an error sits in, when the location points inside one that has an id."""
    if len(loc) < 4 or loc[0] != "phases" or loc[2] != "steps":
        return ""
    try:
        step_id = data["phases"][loc[1]]["steps"][loc[3]]["id"]
    except (KeyError, IndexError, TypeError):
        return ""
    return f" (step {step_id!r})" if isinstance(step_id, str) else ""
