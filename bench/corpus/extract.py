#!/usr/bin/env python3
"""Extracts the dcg peer corpus (TOML cases and YAML command lists) as JSON
lines of {"command", "expected", "source"} for bench/corpus."""
import json, pathlib, sys, tomllib

root = pathlib.Path(sys.argv[1])
out = sys.stdout

def emit(command, expected, source):
    out.write(json.dumps({"command": command, "expected": expected, "source": source}) + "\n")

for path in sorted((root / "corpus").rglob("*.toml")):
    data = tomllib.loads(path.read_text())
    for case in data.get("case", []):
        expected = case.get("expected") or case.get("expected_decision")
        if expected in ("allow", "deny") and "command" in case:
            emit(case["command"], expected, str(path.relative_to(root)))

import yaml  # PyYAML


def line_items(text):
    """Reads `pack:` headers and `- command: "..."` items line by line, for a
    file PyYAML rejects (a peer's file has one malformed line)."""
    section = ""
    for line in text.splitlines():
        if line and not line.startswith((" ", "#", "-")) and line.rstrip().endswith(":"):
            section = line.rstrip()[:-1]
        value = line.strip()
        if not value.startswith("- command:"):
            continue
        value = value[len("- command:"):].strip()
        try:
            if value[:1] == '"':
                raw = value
                value, end = json.JSONDecoder().raw_decode(raw)
                if end != len(raw):
                    raise ValueError("text after the closing quote")
            elif value[:1] == "'":
                value = value[1:value.rindex("'")].replace("''", "'")
        except ValueError:
            print(f"extract: skipped a malformed line in section {section}: {line.strip()[:70]}", file=sys.stderr)
            continue
        yield section, value


for name, expected in (("destructive_commands.yaml", "deny"), ("safe_commands.yaml", "allow"), ("edge_cases.yaml", None)):
    path = root / name
    if not path.exists():
        continue
    text = path.read_text()
    try:
        items = [(sec, it["command"]) for sec, its in (yaml.safe_load(text) or {}).items() for it in its or []]
    except yaml.YAMLError:
        items = list(line_items(text))
    for section, command in items:
        e = expected or ("allow" if section == "false_positives" else "deny")
        emit(command, e, f"{name}:{section}")
