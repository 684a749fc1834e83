"""The inventory scan on hand-made site-packages folders: every way a distribution shows up."""

from __future__ import annotations

import json

from lockgate.env.inventory import scan_inventory


def test_dist_info_egg_info_pth_folders_and_odd_names(tmp_path):
    site = tmp_path / "site-packages"
    (site / "Foo_Bar-1.0.dist-info").mkdir(parents=True)
    (site / "legacy-2.0-py3.11.egg-info").write_text("Metadata-Version: 1.1\nName: Legacy.Pkg\nVersion: 2.0\n\nbody\n")
    odd = site / "weird-name-3.0.dist-info"
    odd.mkdir()
    (odd / "METADATA").write_text("Metadata-Version: 2.1\nName: weird-name\nVersion: 3.0\n")
    develop = tmp_path / "src"
    (develop / "devpkg.egg-info").mkdir(parents=True)
    (develop / "devpkg.egg-info" / "PKG-INFO").write_text("Name: devpkg\nVersion: 0.1.dev0\n")
    (site / "dev.pth").write_text(f"# a comment\nimport sys\n{develop}\n/no/such/folder\n")
    inventory = scan_inventory([str(site), str(tmp_path / "absent")])
    found = {name: dist.version for name, dist in inventory.distributions.items()}
    assert found == {"foo-bar": "1.0", "legacy-pkg": "2.0", "weird-name": "3.0", "devpkg": "0.1.dev0"}
    assert inventory.site_dirs == [str(site), str(develop)]


def test_first_folder_wins_and_same_folder_twice_is_a_duplicate(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    (first / "pkg-1.0.dist-info").mkdir(parents=True)
    (first / "pkg-1.1.dist-info").mkdir()
    (second / "pkg-2.0.dist-info").mkdir(parents=True)
    inventory = scan_inventory([str(first), str(second)])
    assert inventory.distributions["pkg"].version == "1.0"
    [(kept, other)] = inventory.duplicates
    assert (kept.version, other.version) == ("1.0", "1.1")


def test_direct_url_is_read_on_demand_and_bad_files_count_as_absent(tmp_path):
    site = tmp_path / "site"
    for name, content in {"good-1.0": {"url": "file:///x", "dir_info": {"editable": True}}, "bad-1.0": "{not json"}.items():
        folder = site / f"{name}.dist-info"
        folder.mkdir(parents=True)
        (folder / "direct_url.json").write_text(content if isinstance(content, str) else json.dumps(content))
    (site / "plain-1.0.dist-info").mkdir()
    dists = scan_inventory([str(site)]).distributions
    good = dists["good"].direct_url()
    assert good is not None and good.url == "file:///x" and good.dir_info is not None and good.dir_info.editable is True
    assert dists["bad"].direct_url() is None and dists["plain"].direct_url() is None


def test_fingerprint_depends_only_on_names_and_versions(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        (folder / "a-1.0.dist-info").mkdir(parents=True)
        (folder / "b-2.0.dist-info").mkdir()
    assert scan_inventory([str(one)]).fingerprint() == scan_inventory([str(two)]).fingerprint()
    (two / "c-0.1.dist-info").mkdir()
    assert scan_inventory([str(one)]).fingerprint() != scan_inventory([str(two)]).fingerprint()
