"""Find the ``aws`` provider configurations of a Terraform module without a full HCL parser.

A small lexer (strings with ``${…}`` interpolation, heredocs and the three comment styles are
skipped correctly) followed by a brace walk is enough to answer what the override needs: which
local names refer to ``hashicorp/aws`` (``required_providers``), and which ``provider`` blocks of
those names exist, with their ``alias``. ``*.tf.json`` files are read with :mod:`json`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AWS_SOURCE = re.compile(r"^(?:(?:registry\.terraform\.io|registry\.opentofu\.org)/)?hashicorp/aws$")


@dataclass(frozen=True)
class Token:
    """``kind`` is ``ident``, ``string``, ``{``, ``}``, ``=`` or ``other``."""

    kind: str
    value: str = ""


@dataclass(frozen=True)
class ProviderBlock:
    """One ``provider "<name>" { alias = … }`` block (``alias`` is None for the default)."""

    name: str
    alias: str | None
    file: str


def _string(text: str, start: int) -> tuple[str, int]:
    """The literal value of the string opening at ``start`` (a quote) and the index after it.
    Interpolations (``${…}`` with nested strings and braces) are kept verbatim."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i : i + 2])
            i += 2
            continue
        if char == '"':
            return "".join(out), i + 1
        if text.startswith("${", i) or text.startswith("%{", i):
            depth, j = 1, i + 2
            while j < len(text) and depth:
                if text[j] == '"':
                    _, j = _string(text, j)
                    continue
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            out.append(text[i:j])
            i = j
            continue
        out.append(char)
        i += 1
    return "".join(out), i


_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


def tokens(text: str) -> list[Token]:
    """The HCL token stream that matters for finding blocks and simple attributes."""
    found: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in " \t\r\n":
            i += 1
        elif char == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
        elif char == '"':
            value, i = _string(text, i)
            found.append(Token("string", value))
        elif heredoc := _HEREDOC.match(text, i):
            closing = re.compile(rf"^[ \t]*{re.escape(heredoc.group(1))}[ \t]*$", re.MULTILINE)
            closed = closing.search(text, heredoc.end())
            i = len(text) if closed is None else closed.end()
            found.append(Token("string", ""))
        elif char in "{}=":
            if char == "=" and i + 1 < len(text) and text[i + 1] in "=>":
                found.append(Token("other", text[i : i + 2]))
                i += 2
                continue
            found.append(Token(char))
            i += 1
        elif ident := _IDENT.match(text, i):
            found.append(Token("ident", ident.group()))
            i = ident.end()
        else:
            found.append(Token("other", char))
            i += 1
    return found


def _attribute(body: list[Token], name: str) -> str | None:
    """The string value of ``name = "…"`` directly in ``body`` (depth 0 of the block)."""
    depth = 0
    for index, token in enumerate(body):
        if token.kind == "{":
            depth += 1
        elif token.kind == "}":
            depth -= 1
        elif (
            depth == 0
            and token.kind == "ident"
            and token.value == name
            and index + 2 < len(body)
            and body[index + 1].kind == "="
            and body[index + 2].kind == "string"
        ):
            return body[index + 2].value
    return None


def _blocks(stream: list[Token]) -> list[tuple[list[str], list[Token]]]:
    """Top-level blocks: (type and labels, body tokens without the outer braces)."""
    blocks: list[tuple[list[str], list[Token]]] = []
    header: list[str] = []
    i = 0
    while i < len(stream):
        token = stream[i]
        if token.kind == "{":
            depth, j = 1, i + 1
            while j < len(stream) and depth:
                depth += {"{": 1, "}": -1}.get(stream[j].kind, 0)
                j += 1
            blocks.append((header, stream[i + 1 : j - 1]))
            header = []
            i = j
            continue
        if token.kind in ("ident", "string"):
            header = [*header, token.value]
        else:
            header = []
        i += 1
    return blocks


def _aws_local_names_hcl(stream: list[Token]) -> set[str]:
    names: set[str] = set()
    for header, body in _blocks(stream):
        if header != ["terraform"]:
            continue
        for inner_header, inner in _blocks(body):
            if inner_header != ["required_providers"]:
                continue
            for index, token in enumerate(inner):
                if (
                    token.kind == "ident"
                    and index + 2 < len(inner)
                    and inner[index + 1].kind == "="
                    and inner[index + 2].kind == "{"
                ):
                    depth, j = 1, index + 3
                    while j < len(inner) and depth:
                        depth += {"{": 1, "}": -1}.get(inner[j].kind, 0)
                        j += 1
                    source = _attribute(inner[index + 3 : j - 1], "source")
                    if source and AWS_SOURCE.match(source.lower()):
                        names.add(token.value)
    return names


def _json_blocks(data: Any, key: str) -> list[tuple[str, dict[str, Any]]]:
    """``{"provider": {"aws": {…} | [{…}, …]}}`` → [("aws", {…}), …]."""
    section = data.get(key) if isinstance(data, dict) else None
    found: list[tuple[str, dict[str, Any]]] = []
    items = section if isinstance(section, list) else [section]
    for item in items:
        if not isinstance(item, dict):
            continue
        for name, value in item.items():
            for body in value if isinstance(value, list) else [value]:
                if isinstance(body, dict):
                    found.append((name, body))
    return found


def scan(directory: Path) -> tuple[set[str], list[ProviderBlock]]:
    """(local names of hashicorp/aws, provider blocks of any name) of the module in ``directory``.

    Override files (``override.tf``, ``*_override.tf``) are ignored: they are what we write.
    """
    names = {"aws"}
    blocks: list[ProviderBlock] = []
    for path in sorted(directory.iterdir()):
        if path.name == "override.tf" or path.name.endswith(("_override.tf", "_override.tf.json")):
            continue
        if path.name.endswith(".tf"):
            stream = tokens(path.read_text(encoding="utf-8"))
            names |= _aws_local_names_hcl(stream)
            for header, tokens_of_block in _blocks(stream):
                if len(header) == 2 and header[0] == "provider":
                    alias = _attribute(tokens_of_block, "alias")
                    blocks.append(ProviderBlock(header[1], alias, path.name))
        elif path.name.endswith(".tf.json"):
            data = json.loads(path.read_text(encoding="utf-8"))
            for terraform in _json_blocks({"t": data.get("terraform")}, "t"):
                providers = terraform[1].get("required_providers")
                for entry in providers if isinstance(providers, list) else [providers]:
                    for name, spec in (entry or {}).items():
                        source = spec.get("source", "") if isinstance(spec, dict) else ""
                        if AWS_SOURCE.match(str(source).lower()):
                            names.add(name)
            for name, json_body in _json_blocks(data, "provider"):
                json_alias = json_body.get("alias")
                blocks.append(
                    ProviderBlock(name, str(json_alias) if json_alias else None, path.name)
                )
    return names, blocks


def aws_providers(directory: Path) -> tuple[set[str], list[ProviderBlock]]:
    """(aws local names, the ``provider`` blocks configuring one of them)."""
    names, blocks = scan(directory)
    return names, [block for block in blocks if block.name in names]
