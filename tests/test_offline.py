"""The network guard that `make test` loads into pytest and every notebook kernel."""

import os
import subprocess
import sys
from pathlib import Path

OFFLINE = Path(__file__).resolve().parent / "offline"

PROBE = """
import socket
import sitecustomize

assert socket.socket.connect is sitecustomize._guarded_connect
assert sitecustomize.is_local_address("127.0.0.1") and sitecustomize.is_local_address("::1")
assert sitecustomize.is_local_address("localhost")
assert not sitecustomize.is_local_address("151.101.0.223")  # a public address
assert not sitecustomize.is_local_address("pypi.org")

try:
    socket.getaddrinfo("pypi.org", 443)  # refused before any lookup is sent
except sitecustomize.NetworkDisabledError as error:
    print("refused:", error)
else:
    raise SystemExit("a name lookup went through")

server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
client = socket.create_connection(server.getsockname(), timeout=5)  # loopback stays allowed
client.close()
server.close()
print("loopback ok")
"""


def test_guard_refuses_the_network_and_keeps_loopback():
    env = {**os.environ, "PYTHONPATH": str(OFFLINE)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "refused: network access is disabled" in result.stdout
    assert "loopback ok" in result.stdout


def test_make_test_loads_the_guard_for_pytest_and_kernels():
    makefile = (OFFLINE.parents[1] / "Makefile").read_text("utf-8")
    assert "PYTHONPATH=tests/offline" in makefile
