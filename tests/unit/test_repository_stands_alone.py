"""The repository stands on its own: a user clones only it (issue 12).

Nothing points outside the clone (``../shared``); the documents the code cites are in ``docs/``
(the design by section, the policy documents by seed number); and the project's own HTTP clients
reach the services on loopback directly, whatever proxy the machine sets.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import services

ROOT = Path(services.__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DOC_FILES = ("design.md", "policy-sources.md", "codes.md")
THIS_FILE = Path(__file__).resolve()

OUTSIDE_THE_CLONE = "../shared"
NATIONAL_NOTICE = "医保发〔2022〕22号"
SEED_CITATION = re.compile(r"\bseed (\d{3})\b", re.IGNORECASE)
DESIGN_CITATION = re.compile(r"\bdesign §(\d+)")

HTTPX_CLIENTS = frozenset({"Client", "AsyncClient"})
HTTPX_SHORTCUTS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
HTTPX_SHORTCUTS |= {"request", "stream"}
CLIENT_DIRS = ("sim", "bench", "tests/e2e", "deploy")
SHELL_FILES = ("deploy/local/*.sh", ".ci/run", "Makefile")
CURL = re.compile(r"(?<![\w./-])curl(?=\s)")


def tracked_files() -> list[Path]:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git work tree: nothing to say about tracked files")
    listed = subprocess.run(
        [git, "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name]


def text_of(path: Path) -> str | None:
    """The file as text, or None for a binary (or deleted, not yet committed) file."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def tracked_texts() -> dict[Path, str]:
    texts = {}
    for path in tracked_files():
        if path.resolve() == THIS_FILE:
            continue
        text = text_of(path)
        if text is not None:
            texts[path] = text
    return texts


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# ---------------------------------------------------------------- nothing outside the clone


def test_no_tracked_file_outside_docs_points_at_the_team_notes() -> None:
    found = [
        f"{relative(path)}:{number}: {line.strip()}"
        for path, text in tracked_texts().items()
        if not relative(path).startswith("docs/")
        for number, line in enumerate(text.splitlines(), 1)
        if OUTSIDE_THE_CLONE in line
    ]
    assert found == [], "a user clones only this repository; cite docs/ instead:\n" + "\n".join(
        found
    )


# ---------------------------------------------------------------- the documents the code cites


@pytest.mark.parametrize("name", DOC_FILES)
def test_each_document_is_in_docs(name: str) -> None:
    path = DOCS / name
    assert path.is_file(), f"docs/{name} is missing"
    assert path.read_text(encoding="utf-8").strip(), f"docs/{name} is empty"


def test_the_policy_sources_name_the_national_notice() -> None:
    assert NATIONAL_NOTICE in (DOCS / "policy-sources.md").read_text(encoding="utf-8")


def test_every_cited_seed_is_defined_in_the_policy_sources() -> None:
    sources = (DOCS / "policy-sources.md").read_text(encoding="utf-8")
    defined = set(re.findall(r"^\| (\d{3}) \|", sources, re.MULTILINE))
    cited = {
        number: relative(path)
        for path, text in tracked_texts().items()
        for number in SEED_CITATION.findall(text)
    }
    undefined = {number: where for number, where in cited.items() if number not in defined}
    assert cited, "no seed citation found: the pattern no longer matches the code's"
    assert undefined == {}, "cited as 'seed NNN' but not defined in docs/policy-sources.md"


def test_the_policy_leads_named_in_policy_files_are_explained() -> None:
    sources = (DOCS / "policy-sources.md").read_text(encoding="utf-8")
    assert "policy-leads.md" in sources
    assert "not official" in sources


def test_every_cited_design_section_exists() -> None:
    design = (DOCS / "design.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^## (\d+)\. ", design, re.MULTILINE))
    cited = {
        number: relative(path)
        for path, text in tracked_texts().items()
        for number in DESIGN_CITATION.findall(text)
    }
    missing = {number: where for number, where in cited.items() if number not in sections}
    assert cited, "no 'design §N' citation found: the pattern no longer matches the code's"
    assert missing == {}, "cited as 'design §N' but docs/design.md has no such section"


# ---------------------------------------------------------------- loopback, never the proxy


def python_files() -> list[Path]:
    return sorted(path for folder in CLIENT_DIRS for path in (ROOT / folder).rglob("*.py"))


def httpx_names(tree: ast.AST) -> dict[str, str]:
    """Local names bound by ``from httpx import X [as Y]``: Y → X."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "httpx":
            for alias in node.names:
                names[alias.asname or alias.name] = alias.name
    return names


def httpx_calls(source: str) -> list[tuple[int, str, ast.Call]]:
    """Every construction of an httpx client and every module-level request shortcut."""
    tree = ast.parse(source)
    imported = httpx_names(tree)
    wanted = HTTPX_CLIENTS | HTTPX_SHORTCUTS
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "httpx"
            and func.attr in wanted
        ):
            found.append((node.lineno, f"httpx.{func.attr}", node))
        elif isinstance(func, ast.Name) and imported.get(func.id) in wanted:
            found.append((node.lineno, f"httpx.{imported[func.id]}", node))
    return found


def ignores_proxies(call: ast.Call) -> bool:
    return any(
        keyword.arg == "trust_env"
        and isinstance(keyword.value, ast.Constant)
        and keyword.value.value is False
        for keyword in call.keywords
    )


def test_the_ast_check_sees_what_it_must() -> None:
    source = (
        "import httpx\nfrom httpx import AsyncClient as AC\n"
        "httpx.Client(timeout=1)\nAC(trust_env=False)\nhttpx.get('u', trust_env=False)\n"
        "def f(c: httpx.AsyncClient) -> None: ...\n"
    )
    calls = httpx_calls(source)
    assert [(line, name) for line, name, _ in calls] == [
        (3, "httpx.Client"),
        (4, "httpx.AsyncClient"),
        (5, "httpx.get"),
    ]
    assert [ignores_proxies(call) for _, _, call in calls] == [False, True, True]


def test_every_httpx_client_of_the_project_ignores_proxy_variables() -> None:
    offenders = [
        f"{relative(path)}:{line}: {name}(...) without trust_env=False"
        for path in python_files()
        for line, name, call in httpx_calls(path.read_text(encoding="utf-8"))
        if not ignores_proxies(call)
    ]
    assert python_files(), "no Python file found under " + ", ".join(CLIENT_DIRS)
    assert offenders == [], "\n".join(offenders)


def shell_commands(text: str) -> list[tuple[int, str]]:
    """Logical lines (continuations joined) without comment lines, with their first line."""
    commands: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
            if line.lstrip().startswith("#"):
                continue
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        commands.append((start, " ".join([*pending, line])))
        pending = []
    if pending:
        commands.append((start, " ".join(pending)))
    return commands


def curl_invocations(text: str) -> list[tuple[int, str]]:
    """Each ``curl`` run by a script: the rest of its logical line, from ``curl`` on."""
    found = []
    for number, command in shell_commands(text):
        for match in CURL.finditer(command):
            before = command[: match.start()].rstrip()
            if before.endswith(("command -v", "which", "type")):
                continue  # asks whether curl exists, runs nothing
            found.append((number, command[match.start() :]))
    return found


def test_the_curl_check_sees_what_it_must() -> None:
    script = (
        "# curl -fsS http://x  (a comment)\n"
        "command -v curl >/dev/null\n"
        'until curl -fsS "http://127.0.0.1:1/healthz"; do sleep 1; done\n'
        "curl --noproxy '*' \\\n  -fsS http://127.0.0.1:2/\n"
    )
    found = curl_invocations(script)
    assert [number for number, _ in found] == [3, 4]
    assert ["--noproxy" in rest for _, rest in found] == [False, True]


def test_every_curl_the_scripts_run_ignores_proxy_variables() -> None:
    scripts = sorted({path for pattern in SHELL_FILES for path in ROOT.glob(pattern)})
    offenders = [
        f"{relative(path)}:{number}: {rest.strip()[:80]}"
        for path in scripts
        for number, rest in curl_invocations(path.read_text(encoding="utf-8"))
        if "--noproxy" not in rest.split("|")[0].split("&&")[0].split(";")[0]
    ]
    assert scripts, "no deploy/local/*.sh found"
    assert offenders == [], "curl to loopback must not go through a proxy:\n" + "\n".join(offenders)
