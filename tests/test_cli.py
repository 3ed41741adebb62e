"""The ``interceptor`` command line, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from rules.parse import DEFAULT_RULESET_DIR
from tests.rulesets import number_list_rule, write_ruleset

FRAUD = "【工商银行】您的账户存在异常，请点击 http://icbc-verify.top 进行身份验证，否则将冻结"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rules.cli", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_validate_prints_counts_and_digest() -> None:
    out = run("rules", "validate", str(DEFAULT_RULESET_DIR))
    assert out.returncode == 0, out.stderr
    assert "digest   sha256:" in out.stdout and "numbers" in out.stdout


def test_validate_json_and_refusal_with_file_line(tmp_path: Path) -> None:
    root = write_ruleset(tmp_path, number_list_rule("num.deny", "block", "d.txt"),
                         {"d.txt": "13800138000\nnope\n"})
    out = run("rules", "validate", str(root))
    assert out.returncode == 2
    assert "d.txt:2: rule 'num.deny'" in out.stderr
    data = json.loads(run("rules", "validate", str(root), "--json").stdout)
    assert data["ok"] is False and data["problems"][0]["line"] == 2


def test_check_sms_blocks_fraud_and_passes_ordinary() -> None:
    out = run("check", "sms", "--sender", "13912345678", "--text", FRAUD)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("BLOCK") and "dom.deny.phishing" in out.stdout
    ok = run("check", "sms", "--sender", "13912345678", "--text", "今晚一起吃饭吗", "--json")
    decision = json.loads(ok.stdout)
    assert decision["action"] == "PASS" and decision["ruleset_version"].startswith("default@")


def test_check_call_and_bad_event() -> None:
    out = run("check", "call", "--caller", "+855 12 345 678", "--ingress", "international",
              "--rules", str(DEFAULT_RULESET_DIR))
    assert out.returncode == 0 and "num.deny.reported" in out.stdout
    bad = run("check", "call", "--caller", "abc")
    assert bad.returncode == 2 and "caller:" in bad.stderr


def test_a_reader_that_goes_away_gets_no_traceback() -> None:
    """``interceptor check ... | head -1``: the reader closes the pipe before the decision
    is printed; the command ends with SIGPIPE's status, not a BrokenPipeError traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "rules.cli", "check", "sms", "--sender",
                             "13912345678", "--text", FRAUD], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the ruleset is compiled, so before anything is written
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 141, err
    assert "Traceback" not in err
