"""Run records a third party re-verifies: `lockgate run --record` writes an in-toto Statement v1
(result files as subjects), `--sign-key` a DSSE envelope, and `lockgate attest verify` refuses a
tampered result, a missing one, a swapped lock, an edited predicate, a failed verify or run."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest
from conftest import ROOT, lockgate

EXAMPLE = str(ROOT / "examples" / "benchmark_cli.py")


def write_keys(folder, openssh: bool = False):
    """An Ed25519 key pair: ``(private, public)`` paths, PEM or OpenSSH (as ssh-keygen -t ed25519 writes)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private, public = folder / ("id_ed25519" if openssh else "key.pem"), folder / ("id_ed25519.pub" if openssh else "key.pub.pem")
    if openssh:
        private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()))
        public.write_bytes(key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH))
    else:
        private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


@pytest.fixture
def gated(tmp_path, make_venv):
    """``run(*record_flags, code=...)``: a gated run of ``venv``'s Python writing ``out/``, its record at ``out/run.json``."""
    venv = make_venv("alpha==1.1.0")
    lock = tmp_path / "requirements.txt"
    lock.write_text("alpha==1.1.0\n")
    out = tmp_path / "out"
    program = f"import os; os.makedirs({str(out)!r} + '/sub', exist_ok=True); open({str(out)!r} + '/a.csv', 'w').write('1,2\\n'); "
    program += f"open({str(out)!r} + '/sub/b.txt', 'w').write('b\\n')"

    def run(*flags: str, code: str = "", lockfile=lock):
        result = lockgate("run", "--verify-lockfile", str(lockfile), "--python", str(venv), "--record", str(out / "run.json"),
                          "--results", str(out), *flags, "--", str(venv / "bin" / "python"), "-c", program + code)  # fmt: skip
        return result, out / "run.json"

    run.venv, run.lock, run.out = venv, lock, out
    return run


def attest(*args: str):
    result = lockgate("attest", "verify", *map(str, args), "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def refusals(report: dict) -> list[tuple[str, str, str]]:
    return [(c["check"], c["status"], c["file"]) for c in report["checks"] if c["status"] not in ("matched", "extra", "skipped")]


def test_the_record_is_an_in_toto_statement_v1_by_in_toto_s_own_model(gated):
    from google.protobuf.json_format import ParseDict
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.statement import Statement

    result, record = gated()
    assert result.returncode == 0, result.stderr
    document = json.loads(record.read_text())
    Statement.copy_from_pb(ParseDict(document, statement_pb2.Statement())).validate()
    assert document["_type"] == "https://in-toto.io/Statement/v1" and document["predicateType"] == "https://lockgate.invalid/run/v1"
    assert [s["name"] for s in document["subject"]] == ["a.csv", "sub/b.txt"]  # the record itself is no result
    predicate = document["predicate"]
    assert predicate["lock"]["sha256"] == __import__("hashlib").sha256(gated.lock.read_bytes()).hexdigest()
    assert predicate["lock"]["format"] == "requirements.txt" and predicate["lock"]["from_record"] == "../requirements.txt"
    assert predicate["results"] == {"path": str(gated.out), "from_record": ".", "files": 2}
    assert predicate["exit_code"] == 0 and predicate["verify"]["passed"] is True and predicate["environment_fingerprint"].startswith("sha256:")


def test_without_results_the_subject_is_the_lock(tmp_path, gated):
    from google.protobuf.json_format import ParseDict
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.statement import Statement

    record = tmp_path / "plain.json"
    result = lockgate("run", "--verify-lockfile", str(gated.lock), "--python", str(gated.venv), "--record", str(record), "--", "true")
    assert result.returncode == 0, result.stderr
    document = json.loads(record.read_text())
    Statement.copy_from_pb(ParseDict(document, statement_pb2.Statement())).validate()
    assert [s["name"] for s in document["subject"]] == ["requirements.txt"] and document["predicate"]["results"] is None
    code, report = attest(record)
    assert code == 0, report


def test_an_intact_record_passes_and_tampering_is_refused_naming_the_file(gated):
    result, record = gated()
    assert result.returncode == 0, result.stderr
    code, report = attest(record)
    assert code == 0 and report["passed"] is True, refusals(report)
    (gated.out / "sub" / "b.txt").write_text("forged\n")
    (gated.out / "a.csv").unlink()
    (gated.out / "late.txt").write_text("added\n")
    code, report = attest(record)
    assert code == 1
    assert refusals(report) == [("result", "missing", str(gated.out / "a.csv")), ("result", "mismatched", str(gated.out / "sub" / "b.txt"))]
    extra = [c for c in report["checks"] if c["status"] == "extra"]
    assert [c["file"] for c in extra] == [str(gated.out / "late.txt")]  # listed, not bound: it does not refuse
    text = lockgate("attest", "verify", str(record))
    assert text.returncode == 1 and f"mismatched  {gated.out / 'sub' / 'b.txt'}" in text.stdout


def test_a_swapped_lock_is_refused(tmp_path, gated):
    result, record = gated()
    assert result.returncode == 0
    other = tmp_path / "other.txt"
    other.write_text("alpha==1.1.0  # same pins, another file\n")
    code, report = attest(record, "--lock", other)
    assert code == 1 and refusals(report) == [("lock", "mismatched", str(other))]
    gated.lock.write_text("alpha==1.1.0\n# edited\n")
    code, report = attest(record)
    assert code == 1 and refusals(report) == [("lock", "mismatched", str(gated.lock))]
    gated.lock.unlink()
    code, report = attest(record)
    assert code == 1 and [(c, s) for c, s, _ in refusals(report)] == [("lock", "missing")]


@pytest.mark.parametrize("openssh", [False, True], ids=["pem", "openssh"])
def test_a_signed_record_verifies_with_the_public_key_and_an_edited_predicate_does_not(tmp_path, gated, openssh):
    private, public = write_keys(tmp_path, openssh)
    result, record = gated("--sign-key", str(private))
    assert result.returncode == 0, result.stderr
    envelope = json.loads(record.read_text())
    assert envelope["payloadType"] == "application/vnd.in-toto+json" and len(envelope["signatures"]) == 1
    assert "PRIVATE" not in record.read_text()
    code, report = attest(record, "--key", public)
    assert code == 0, refusals(report)
    code, report = attest(record)  # signed, but no key to check it with: undecidable
    assert code == 1 and refusals(report) == [("signature", "unverifiable", str(record))]
    _, other = write_keys(tmp_path / "..", openssh)
    code, report = attest(record, "--key", other)
    assert code == 1 and refusals(report) == [("signature", "mismatched", str(record))]
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["exit_code"] = 0
    statement["predicate"]["verify"]["passed"] = True
    statement["predicate"]["command"] = ["something", "else"]
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    record.write_text(json.dumps(envelope))
    code, report = attest(record, "--key", public)
    assert code == 1 and refusals(report) == [("signature", "mismatched", str(record))]
    assert "changed after it was signed" in report["checks"][0]["message"]


def test_an_unsigned_record_is_refused_when_a_key_is_given(tmp_path, gated):
    _, public = write_keys(tmp_path)
    result, record = gated()
    assert result.returncode == 0
    code, report = attest(record, "--key", public)
    assert code == 1 and refusals(report) == [("signature", "missing", str(record))]


def test_a_record_of_a_failed_verify_or_a_failed_command_is_refused(tmp_path, gated):
    bad = tmp_path / "bad.txt"
    bad.write_text("alpha==2.0.0\n")
    result, record = gated(lockfile=bad)
    assert result.returncode == 1  # refused: the record says why, the command never ran
    code, report = attest(record)
    assert code == 1 and [(c, s) for c, s, _ in refusals(report)] == [("verify", "failed"), ("exit_code", "failed")]
    result, record = gated(code="; raise SystemExit(3)")
    assert result.returncode == 3
    code, report = attest(record)
    assert code == 1 and refusals(report) == [("exit_code", "failed", str(record))]
    code, report = attest(record, "--allow-failed-run")
    assert code == 0, refusals(report)


def test_python_reverifies_a_live_environment_against_the_recorded_set(tmp_path, gated, make_venv):
    result, record = gated()
    assert result.returncode == 0
    code, report = attest(record, "--python", gated.venv)
    assert code == 0, refusals(report)
    other = make_venv("alpha==1.0.0", name="reproduced")
    code, report = attest(record, "--python", other)
    assert code == 1 and refusals(report) == [("environment", "mismatched", f"{other}: alpha")]


def test_an_sbom_beside_the_record_is_bound_by_its_digest(gated):
    result, record = gated("--sbom")
    assert result.returncode == 0, result.stderr
    sbom = gated.out / "run.cdx.json"
    predicate = json.loads(record.read_text())["predicate"]
    assert predicate["sbom"]["path"] == "run.cdx.json" and "run.cdx.json" not in [s["name"] for s in json.loads(record.read_text())["subject"]]
    assert attest(record)[0] == 0
    sbom.write_text(sbom.read_text().replace("alpha", "alpha2"))
    code, report = attest(record)
    assert code == 1 and refusals(report) == [("sbom", "mismatched", str(sbom))]


def test_an_unreadable_record_exits_2_and_the_old_record_stays_readable(tmp_path, gated):
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    assert lockgate("attest", "verify", str(junk)).returncode == 2
    junk.write_text(json.dumps({"_type": "https://in-toto.io/Statement/v0.1", "subject": [], "predicate": {}}))
    refused = lockgate("attest", "verify", str(junk))
    assert refused.returncode == 2 and "_type" in refused.stderr and "Traceback" not in refused.stderr
    result, record = gated()
    predicate = json.loads(record.read_text())["predicate"]
    legacy = tmp_path / "legacy.json"
    legacy.write_text(json.dumps({"schema": "lockgate.attestation/1", "verify": predicate["verify"], "command": predicate["command"],
                                  "started_at": predicate["started_at"], "exit_code": 0, "wall_seconds": 1.0,
                                  "environment_fingerprint": predicate["environment_fingerprint"]}))  # fmt: skip
    code, report = attest(legacy, "--lock", gated.lock)
    assert code == 0 and report["kind"] == "legacy", refusals(report)
    assert lockgate("diff", str(legacy), str(record)).returncode == 0  # diff reads both kinds of record


def test_record_options_need_a_record_and_a_bad_key_stops_the_run_before_it_starts(tmp_path, gated):
    result = lockgate("run", "--verify-lockfile", str(gated.lock), "--sign-key", "k", "--", "true")
    assert result.returncode == 2 and "--sign-key belongs to the record" in result.stderr
    _, public = write_keys(tmp_path)
    result, record = gated("--sign-key", str(public))  # the public half: no key to sign with
    assert result.returncode == 2 and "not an Ed25519 private key" in result.stderr and not record.exists()
    assert not gated.out.exists()  # the command never ran


def test_the_example_benchmark_writes_a_signed_record_a_reviewer_reverifies(tmp_path):
    from importlib.metadata import version

    private, public = write_keys(tmp_path, openssh=True)
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"pytest=={version('pytest')}\n")
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, EXAMPLE, "training", "run", "--results-dir", str(out), "--verify-lockfile", str(lock),
                             "--allow-missing", "--verify-record", str(out / "run.json"), "--verify-sign-key", str(private), "--verify-sbom"],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(base64.b64decode(json.loads((out / "run.json").read_text())["payload"]))["subject"][0]["name"] == "ran-0.txt"
    checked = lockgate("attest", "verify", str(out / "run.json"), "--key", str(public))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (out / "ran-0.txt").write_text("a better score\n")
    refused = lockgate("attest", "verify", str(out / "run.json"), "--key", str(public))
    assert refused.returncode == 1
    assert f"mismatched  {out / 'ran-0.txt'}" in refused.stdout and "changed after the run" in refused.stdout
    wrong = subprocess.run([sys.executable, EXAMPLE, "training", "run", "--results-dir", str(out), "--verify-lockfile", str(lock),
                            "--verify-sign-key", str(private)], capture_output=True, text=True)  # fmt: skip
    assert wrong.returncode == 2 and "add --verify-record PATH" in wrong.stderr
