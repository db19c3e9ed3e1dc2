"""Each lint rule on a script that has its pitfall (the finding, its line and fix) and on a near miss (nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from scorecheck.lint import RULES, Finding, lint_script
from tests.scorecheck.sc_support import write

HEAD = "import logging\n\n\ndef init():\n    pass\n\n\n"  # a script that passes every rule but the one tested


def lint(tmp_path: Path, files: Dict[str, str], script: str = "score.py") -> List[Finding]:
    for name, text in files.items():
        write(tmp_path / name, text)
    return lint_script(tmp_path / script, script)


def spots(findings: List[Finding]) -> List[Tuple[str, str, int]]:
    return [(f.rule, f.file, f.line) for f in findings]


# (rule, files, expected (rule, file, line) findings)
HITS = [
    # shadowed-module: at the import when there is one, else at the module file
    (
        "shadowed-module",
        {"score.py": "import utils\n" + HEAD + "def run(d):\n    return d\n", "utils.py": ""},
        [("shadowed-module", "score.py", 1)],
    ),
    (
        "shadowed-module",
        {"score.py": HEAD + "def run(d):\n    return d\n", "config/__init__.py": ""},
        [("shadowed-module", "config/__init__.py", 1)],
    ),
    # shadowed-package: an installed package's name beside the script, the stdlib when imported, the script itself
    (
        "shadowed-package",
        {"score.py": HEAD + "def run(d):\n    return d\n", "numpy.py": ""},
        [("shadowed-package", "numpy.py", 1)],
    ),
    (
        "shadowed-package",
        {"score.py": "import json\n" + HEAD + "def run(d):\n    return d\n", "json.py": ""},
        [("shadowed-package", "score.py", 1)],
    ),
    (
        "shadowed-package",
        {"flask.py": HEAD + "def run(d):\n    return d\n"},
        [("shadowed-package", "flask.py", 1)],
    ),
    # stray-config-json: model settings, a list, broken JSON, server keys mixed with model keys
    (
        "stray-config-json",
        {"score.py": HEAD + "def run(d):\n    return d\n", "config.json": '{"labels": ["a"]}'},
        [("stray-config-json", "config.json", 1)],
    ),
    (
        "stray-config-json",
        {"score.py": HEAD + "def run(d):\n    return d\n", "config.json": "[1, 2]"},
        [("stray-config-json", "config.json", 1)],
    ),
    (
        "stray-config-json",
        {"score.py": HEAD + "def run(d):\n    return d\n", "config.json": "{oops"},
        [("stray-config-json", "config.json", 1)],
    ),
    (
        "stray-config-json",
        {
            "score.py": HEAD + "def run(d):\n    return d\n",
            "config.json": '{"SCORING_TIMEOUT_MS": 5, "labels": []}',
        },
        [("stray-config-json", "config.json", 1)],
    ),
    # ignored-config-key: at the key's line
    (
        "ignored-config-key",
        {
            "score.py": HEAD + "def run(d):\n    return d\n",
            "config.json": '{\n  "SCORING_TIMEOUT_MS": 5,\n  "AML_CORS_ORIGINS": "*"\n}',
        },
        [("ignored-config-key", "config.json", 3)],
    ),
    # form-without-rawhttp: flask's request proxy, or run()'s own argument
    (
        "form-without-rawhttp",
        {"score.py": "from flask import request\n" + HEAD + "def run(d):\n    return request.form['x']\n"},
        [("form-without-rawhttp", "score.py", 10)],
    ),
    (
        "form-without-rawhttp",
        {"score.py": HEAD + "def run(data):\n    return data.files\n"},
        [("form-without-rawhttp", "score.py", 9)],
    ),
    # numpy-return: a numpy call, a predict() result through a name, inside a dict, a pandas frame
    (
        "numpy-return",
        {"score.py": "import numpy as np\n" + HEAD + "def run(d):\n    return np.array([1])\n"},
        [("numpy-return", "score.py", 10)],
    ),
    (
        "numpy-return",
        {"score.py": HEAD + "def run(d):\n    result = model.predict(d)\n    return result\n"},
        [("numpy-return", "score.py", 10)],
    ),
    (
        "numpy-return",
        {"score.py": HEAD + "def run(d):\n    return {'p': model.predict_proba(d) * 100}\n"},
        [("numpy-return", "score.py", 9)],
    ),
    (
        "numpy-return",
        {"score.py": "import pandas as pd\n" + HEAD + "def run(d):\n    return pd.DataFrame(d)\n"},
        [("numpy-return", "score.py", 10)],
    ),
    # nan-return: float('nan'), numpy/math constants inside the returned value
    (
        "nan-return",
        {"score.py": HEAD + "def run(d):\n    return {'v': float('NaN')}\n"},
        [("nan-return", "score.py", 9)],
    ),
    (
        "nan-return",
        {"score.py": "import numpy as np\n" + HEAD + "def run(d):\n    return [1.0, np.nan]\n"},
        [("nan-return", "score.py", 10)],
    ),
    (
        "nan-return",
        {"score.py": "import math\n" + HEAD + "def run(d):\n    return -math.inf if d else 0\n"},
        [("nan-return", "score.py", 10)],
    ),
    # print-logging: at the first print()
    (
        "print-logging",
        {"score.py": "def init():\n    print('ready')\n\n\ndef run(d):\n    print(d)\n    return d\n"},
        [("print-logging", "score.py", 2)],
    ),
    # relative-model-path: open() and loaders with relative paths, the working directory, in init() or its helpers
    (
        "relative-model-path",
        {
            "score.py": "import logging\n\n\ndef init():\n    global m\n    m = open('model.pkl', 'rb').read()\n\n\n"
            "def run(d):\n    return d\n"
        },
        [("relative-model-path", "score.py", 6)],
    ),
    (
        "relative-model-path",
        {
            "score.py": "import logging, os, joblib\n\n\ndef _load():\n    return joblib.load(os.path.join(os.getcwd(), "
            "'m.joblib'))\n\n\ndef init():\n    _load()\n\n\ndef run(d):\n    return d\n"
        },
        [("relative-model-path", "score.py", 5)],
    ),
    (
        "relative-model-path",
        {
            "score.py": "import logging\nfrom pathlib import Path\nimport torch\n\n\ndef init():\n"
            "    torch.load(Path('models') / 'net.pt')\n\n\ndef run(d):\n    return d\n"
        },
        [("relative-model-path", "score.py", 7)],
    ),
    # entry-contract: what the server refuses at boot
    (
        "entry-contract",
        {"score.py": "import logging\n\n\ndef run(d):\n    return d\n"},
        [("entry-contract", "score.py", 1)],
    ),
    ("entry-contract", {"score.py": HEAD}, [("entry-contract", "score.py", 1)]),
    (
        "entry-contract",
        {"score.py": HEAD + "def run(*args):\n    return args\n"},
        [("entry-contract", "score.py", 8)],
    ),
    (
        "entry-contract",
        {"score.py": HEAD + "def run(request_headers):\n    return 1\n"},
        [("entry-contract", "score.py", 8)],
    ),
    (
        "entry-contract",
        {
            "score.py": "from azureml.contrib.services.aml_request import rawhttp\nfrom inference_schema.schema_decorators "
            "import input_schema\n" + HEAD + "@rawhttp\n@input_schema('d', None)\ndef run(d):\n    return d\n"
        },
        [("entry-contract", "score.py", 12)],
    ),
]

NEAR_MISSES = [
    (
        "shadowed-module",
        {"score.py": "import my_utils\n" + HEAD + "def run(d):\n    return d\n", "my_utils.py": ""},
    ),
    (
        "shadowed-module",
        {"utils.py": HEAD + "def run(d):\n    return d\n"},
    ),  # the script itself: loaded by path
    ("shadowed-package", {"score.py": HEAD + "def run(d):\n    return d\n", "test.py": "", "helper.py": ""}),
    ("shadowed-package", {"test.py": HEAD + "def run(d):\n    return d\n"}),
    (
        "stray-config-json",
        {"score.py": HEAD + "def run(d):\n    return d\n", "config.json": '{"SCORING_TIMEOUT_MS": 5}'},
    ),
    ("stray-config-json", {"score.py": HEAD + "def run(d):\n    return d\n", "config.json": ""}),
    (
        "ignored-config-key",
        {
            "score.py": HEAD + "def run(d):\n    return d\n",
            "config.json": '{"SCORING_TIMEOUT_MS": 5, "SERVICE_NAME": "svc"}',
        },
    ),
    ("stray-config-json", {"score.py": HEAD + "def run(d):\n    return d\n", "model_config.json": "[1]"}),
    (
        "form-without-rawhttp",
        {
            "score.py": "from azureml.contrib.services.aml_request import rawhttp\n"
            + HEAD
            + "@rawhttp\ndef run(request):\n    return request.form['x']\n"
        },
    ),
    (
        "form-without-rawhttp",
        {"score.py": HEAD + "def run(d):\n    payload = {'form': 1}\n    return payload['form']\n"},
    ),
    (
        "numpy-return",
        {
            "score.py": "import json\nimport numpy as np\n" + HEAD + "def run(d):\n    r = model.predict(d)\n"
            "    if d:\n        return r.tolist()\n    if not d:\n        return float(np.sum(r))\n"
            "    if d is None:\n        return json.dumps(np.array([1]).tolist())\n    return [float(p) for p in r]\n"
        },
    ),
    (
        "numpy-return",
        {"score.py": HEAD + "def run(d):\n    r = model.predict(d)\n    r = r.tolist()\n    return r\n"},
    ),
    # a reduction's float64 serialises; a predict() the script defines itself may return anything
    (
        "numpy-return",
        {"score.py": "import numpy as np\n" + HEAD + "def run(d):\n    return {'mean': np.mean(d)}\n"},
    ),
    (
        "numpy-return",
        {
            "score.py": HEAD + "class M:\n    def predict(self, d):\n        return [d]\n\n\n"
            "def run(d):\n    return M().predict(d)\n"
        },
    ),
    (
        "nan-return",
        {
            "score.py": "import math\nimport numpy as np\n" + HEAD + "def run(d):\n    if d:\n"
            "        return None if math.isnan(d) else d\n    return np.nan_to_num(d, nan=0.0).tolist() + [float('1.5')]\n"
        },
    ),
    (
        "print-logging",
        {"score.py": "import logging\n\n\ndef init():\n    print('ready')\n\n\ndef run(d):\n    return d\n"},
    ),
    (
        "print-logging",
        {
            "score.py": "def print(*a):\n    pass\n\n\ndef init():\n    print(1)\n\n\ndef run(d):\n    return d\n"
        },
    ),
    (
        "relative-model-path",
        {
            "score.py": "import logging, os, spacy\n\n\ndef init():\n"
            "    open(os.path.join(os.getenv('AZUREML_MODEL_DIR'), 'model.pkl'))\n"
            "    open(os.path.join(os.path.dirname(__file__), 'labels.txt'))\n    spacy.load('en_core_web_sm')\n\n\n"
            "def run(d):\n    return open('run-time.txt').read()\n"
        },
    ),
    (
        "entry-contract",
        {"score.py": "import logging\nimport inner as driver_module\n\n\ndef init():\n    pass\n"},
    ),
    ("entry-contract", {"score.py": "import logging\nfrom helpers import *\n"}),
    (
        "entry-contract",
        {
            "score.py": "import logging\n\ntry:\n    from fast import init, run\nexcept ImportError:\n"
            "    def init():\n        pass\n\n    def run(data, request_headers=None):\n        return data\n"
        },
    ),
]


@pytest.mark.parametrize(("rule", "files", "expected"), HITS, ids=[f"{h[0]}-{i}" for i, h in enumerate(HITS)])
def test_a_rule_finds_its_pitfall(tmp_path: Path, rule: str, files: Dict[str, str], expected: list) -> None:
    findings = lint(tmp_path, files, script=next(iter(files)))
    assert spots(findings) == expected
    assert all(f.message and f.fix and f.column >= 1 for f in findings)


@pytest.mark.parametrize(
    ("rule", "files"), NEAR_MISSES, ids=[f"{m[0]}-{i}" for i, m in enumerate(NEAR_MISSES)]
)
def test_a_near_miss_is_not_a_finding(tmp_path: Path, rule: str, files: Dict[str, str]) -> None:
    assert spots(lint(tmp_path, files, script=next(iter(files)))) == []


def test_every_rule_has_a_hit_and_a_near_miss() -> None:
    assert {rule for rule, _, _ in HITS} == set(RULES)
    assert {rule for rule, _ in NEAR_MISSES} == set(RULES)


def test_a_finding_names_the_line_column_and_fix(tmp_path: Path) -> None:
    (finding,) = lint(
        tmp_path, {"score.py": "import numpy as np\n" + HEAD + "def run(d):\n    return np.zeros(2)\n"}
    )
    assert (finding.location, finding.rule) == ("score.py:10:5", "numpy-return")
    assert "a numpy value from np.zeros(...)" in finding.message
    assert "answers 500" in finding.message
    assert ".tolist()" in finding.fix


def test_a_comment_silences_the_rules_it_names(tmp_path: Path) -> None:
    source = (
        "import numpy as np\n" + HEAD + "def run(d):\n"
        "    if d:\n        return np.zeros(2)  # scorecheck: ignore[numpy-return]\n"
        "    if d is None:\n        return np.ones(2)  # scorecheck: ignore[nan-return]\n"
        "    return [np.nan]  # scorecheck: ignore\n"
    )
    assert spots(lint(tmp_path, {"score.py": source})) == [("numpy-return", "score.py", 13)]
