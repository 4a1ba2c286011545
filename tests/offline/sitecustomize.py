"""Refuse every network connection that leaves this machine.

`make test` puts this folder on PYTHONPATH, so Python imports this module at start-up in the
pytest process and in every notebook kernel nbval starts. The course promises that nothing is
downloaded at run time; a hidden download now fails loudly instead of passing on a machine that
happens to be online. Loopback and Unix sockets stay allowed: Jupyter kernels talk over them.
"""

import ipaddress
import socket

_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex
_original_getaddrinfo = socket.getaddrinfo

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


class NetworkDisabledError(OSError):
    """Raised instead of opening a connection to another machine."""


def is_local_address(host) -> bool:
    """True for loopback hosts (127.0.0.0/8, ::1, 'localhost')."""
    if host is None:
        return True
    host = str(host).strip("[]")
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(sock, address):
    if sock.family == getattr(socket, "AF_UNIX", None):
        return
    host = address[0] if isinstance(address, tuple) else address
    if not is_local_address(host):
        raise NetworkDisabledError(f"network access is disabled in the course's tests: {address!r}")


def _guarded_connect(self, address):
    _check(self, address)
    return _original_connect(self, address)


def _guarded_connect_ex(self, address):
    _check(self, address)
    return _original_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not is_local_address(host if not isinstance(host, bytes) else host.decode()):
        raise NetworkDisabledError(f"network access is disabled in the course's tests: {host!r}")
    return _original_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
socket.getaddrinfo = _guarded_getaddrinfo
socket.NETWORK_DISABLED_BY_COURSE_TESTS = True
