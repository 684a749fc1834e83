"""Task lock files: task/v1 definitions resolved by SemVer constraints into ``tasks.lock.yaml``.

Modules: :mod:`.task_schema` (task and group values, checked as they are built),
:mod:`.definition` (reading task files), :mod:`.constraints` (Cargo-style ranges), :mod:`.sources`
(where task files come from), :mod:`.resolve` (resolvelib search), :mod:`.lockfile`
(tasks.lock.yaml), :mod:`.config` (project settings). The commands as library calls, one module
per job: :mod:`.locking` (lock, update), :mod:`.checking` (verify, status), :mod:`.tree`,
:mod:`.outdated`, :mod:`.fetch` and :mod:`.workflows` (check, ``--workflow`` roots); beneath them
:mod:`.locked` (the lock as it stands) and :mod:`.diff` (how two locks differ).
"""
