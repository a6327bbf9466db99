"""Run every benchmark script in bench/ in turn (``make bench``)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    failures = 0
    for script in sorted(HERE.glob("[!_]*.py")):
        if script.name == "run_all.py":
            continue
        print(f"\n== {script.name} ==", flush=True)
        failures += subprocess.run([sys.executable, str(script)], cwd=HERE).returncode != 0
    sys.exit(1 if failures else 0)
