"""Task lock files: task/v1 definitions resolved by SemVer constraints into ``tasks.lock.yaml``.

Modules: :mod:`.definition` (reading and checking task files), :mod:`.constraints` (Cargo-style
ranges), :mod:`.sources` (where task files come from), :mod:`.resolve` (resolvelib search),
:mod:`.lockfile` (tasks.lock.yaml), :mod:`.config` (project settings) and :mod:`.api` (the
commands as library calls).
"""
