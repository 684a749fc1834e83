"""`lockgate freeze --format cyclonedx-json`: a CycloneDX 1.6 SBOM of the live environment, valid by
cyclonedx-python-lib's own schema validation, with purls, hashes and the sources of direct installs."""

from __future__ import annotations

import hashlib
import json

from conftest import lockgate, make_project


def _validate(text: str) -> dict:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    return json.loads(text)


def test_sbom_of_index_vcs_and_editable_installs_validates(tmp_path, make_venv, git_project):
    bare, first, _ = git_project
    project = make_project(tmp_path / "proj", "editable-demo", "0.1.0")
    venv = make_venv("alpha==1.1.0")
    make_venv.install(venv, f"demo-proj @ git+file://{bare}@{first}")
    make_venv.install(venv, "-e", str(project))
    result = lockgate("freeze", "--python", str(venv), "--format", "cyclonedx-json")
    assert result.returncode == 0, result.stderr
    document = _validate(result.stdout)
    assert document["specVersion"] == "1.6"
    components = {c["name"]: c for c in document["components"]}
    alpha = components["alpha"]
    assert alpha["version"] == "1.1.0" and alpha["purl"] == "pkg:pypi/alpha@1.1.0"
    record = next(venv.glob("lib/python*/site-packages/alpha-1.1.0.dist-info/RECORD")).read_bytes()
    assert alpha["hashes"] == [{"alg": "SHA-256", "content": hashlib.sha256(record).hexdigest()}]
    assert {"name": "lockgate:hash-of", "value": "installed RECORD"} in alpha["properties"]
    vcs = components["demo-proj"]
    assert vcs["externalReferences"][0]["type"] == "vcs" and vcs["externalReferences"][0]["url"] == f"git+file://{bare}@{first}"
    assert "vcs_url=git%2Bfile:" in vcs["purl"] or "vcs_url=git+file:" in vcs["purl"]
    editable = components["editable-demo"]
    assert editable["externalReferences"][0]["url"] == f"file://{project}" and "editable" in editable["externalReferences"][0]["comment"]
    properties = {p["name"]: p["value"] for p in document["metadata"]["component"]["properties"]}
    assert properties["lockgate:environment-fingerprint"].startswith("sha256:")


def test_the_output_name_picks_the_sbom_and_a_hashed_lock_gives_its_hashes(tmp_path, make_venv, wheel_index):
    from lockgate.env.interpreter import find_interpreter
    from lockgate.env.inventory import scan_interpreter
    from lockgate.env.sbom import sbom_json

    venv = make_venv("alpha==1.1.0")
    written = tmp_path / "env.cdx.json"
    assert lockgate("freeze", "--python", str(venv), "-o", str(written)).returncode == 0
    _validate(written.read_text())
    wheel = next(wheel_index.glob("alpha-1.1.0-*.whl"))
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"alpha==1.1.0 --hash=sha256:{digest}\n")
    interpreter = find_interpreter(str(venv))
    document = _validate(sbom_json(interpreter, scan_interpreter(interpreter), str(lock)))
    alpha = next(c for c in document["components"] if c["name"] == "alpha")
    assert alpha["hashes"] == [{"alg": "SHA-256", "content": digest}]
    assert {"name": "lockgate:hash-of", "value": "lock"} in alpha["properties"]
