import sys
from pathlib import Path

# Make the repository root importable (lstm_core, viz, ui) and tests/helpers.py.
ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
