"""Backups that restore: the database and both file stores, encrypted, incremental, verified.

* ``crypto`` seals every file written to a backup target (AES-256-GCM in fixed-size chunks).
* ``targets`` is where backups go: a directory or an S3 bucket, behind one small interface.
* ``services`` makes, lists, verifies, restores and prunes backups; the management commands
  (``backup``, ``restore``, ``verify_backup``) and the nightly task only call it.

A target holds::

    backups/<UTC timestamp>/database.dump   pg_dump --format=custom, sealed
    backups/<UTC timestamp>/manifest.json   every object's key, size and SHA-256, sealed
    objects/ab/abcdef…                      each file's bytes once, named by their SHA-256

The manifest is written last: a folder without one is a backup that never finished.
"""
