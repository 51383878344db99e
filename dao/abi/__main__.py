"""python -m dao.abi [BUILD_DIR]: exports the ABIs from Brownie's build (default build/contracts)."""

import sys
from pathlib import Path

from dao.abi import export

build = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("build") / "contracts"
if not build.is_dir():
    sys.exit(f"{build}: no Brownie build here; run `brownie compile` first")
for path in export(build):
    print(path)
