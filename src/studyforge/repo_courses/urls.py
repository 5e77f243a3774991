"""Repository URL checks: which URLs may be cloned, normalised, with the address to pin.

`validate` returns a `Target`: the normalised URL, and for a remote host the one address that
was checked as public, so the clone can be pinned to it (see `access.py`). `check_url` is the
same check for callers that only need the URL.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from studyforge.repo_courses.checkout import RepoAccessError, RepoTransientError

_SCHEMES = {"https": 443, "ssh": 22, "git": 9418}
_HOST = re.compile(r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$")
_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?[\w.-]+:(?!//)")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str = ""
    port: int = 0
    address: str | None = None  # the checked address to pin, None when nothing to pin


def check_url(url: str, allow_local: bool) -> str:
    """Validate a repository URL and return it normalised, or raise `RepoAccessError`."""
    return validate(url, allow_local).url


def _refuse(message: str) -> RepoAccessError:
    return RepoAccessError(message, "REPO_URL_REFUSED")


def validate(url: str, allow_local: bool) -> Target:
    url = url.strip()
    if not url or len(url) > 2048:
        raise _refuse("Enter a repository URL (at most 2048 characters).")
    if url.startswith("-"):
        raise _refuse("A repository URL cannot start with '-'.")
    if any(ord(c) < 0x21 or ord(c) == 0x7F or c == "\\" for c in url):
        raise _refuse("A repository URL cannot contain spaces, backslashes or control characters.")
    if "://" not in url:
        return _local_or_scp(url, allow_local)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file" and allow_local:
        return _local(parts.path)
    if scheme not in _SCHEMES:
        raise _refuse("Only https://, ssh:// and git:// repository URLs are supported.")
    if parts.password is not None or (parts.username is not None and scheme != "ssh"):
        raise _refuse("Remove the user name and password from the URL: only public repositories.")
    if parts.username is not None and not re.fullmatch(
        r"[A-Za-z0-9._][A-Za-z0-9._-]*", parts.username
    ):
        raise _refuse("The ssh user name in the URL is not valid.")
    try:
        port = parts.port or _SCHEMES[scheme]
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise _refuse("The host or port in the URL is not valid.") from None
    literal = _ip(host)
    if literal is None and not _HOST.match(host):
        raise _refuse("The URL has no valid host name.")
    if parts.path.strip("/") == "":
        raise _refuse("The URL has no repository path (e.g. https://host/owner/repo.git).")
    address = _check_addresses(host, port, allow_local)
    netloc = f"[{host}]" if isinstance(literal, ipaddress.IPv6Address) else host
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    if parts.port:
        netloc += f":{port}"
    path = quote(parts.path, safe="/:@!$&'()*+,;=-._~%")
    pin = None if literal is not None or allow_local else address
    return Target(f"{scheme}://{netloc}{path}", scheme, host, port, pin)


def _local_or_scp(url: str, allow_local: bool) -> Target:
    if "::" in url:
        raise _refuse("Git remote helpers (transport::address) are not allowed.")
    if _SCP_LIKE.match(url) and not url.startswith(("/", ".")):
        user_host, _, path = url.partition(":")
        raise _refuse(f"Use the ssh:// form instead: ssh://{user_host}/{path.lstrip('/')}")
    if not allow_local:
        raise _refuse("Local paths are not allowed; enter an https://, ssh:// or git:// URL.")
    return _local(url)


def _local(path: str) -> Target:
    return Target(Path(path).expanduser().resolve().as_uri(), "file")


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _is_public(ip.ipv4_mapped)
        embedded = [ip.sixtofour, ip.teredo[1] if ip.teredo else None]
        if ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if any(v4 is not None and not _is_public(v4) for v4 in embedded):
            return False
    blocked = (
        ip.is_private,
        ip.is_loopback,
        ip.is_link_local,
        ip.is_multicast,
        ip.is_reserved,
        ip.is_unspecified,
    )
    return ip.is_global and not any(blocked)


def _check_addresses(host: str, port: int, allow_local: bool) -> str:
    """Resolve `host`; refuse unless every address is public. Returns the address to pin."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if exc.errno == socket.EAI_AGAIN:
            raise RepoTransientError(
                f"Could not look up {host} right now; try again later.", "REPO_UNREACHABLE"
            ) from None
        raise RepoAccessError(f"The host {host} does not exist.", "REPO_HOST_UNKNOWN") from None
    addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        ip = _ip(address)
        if not allow_local and (ip is None or not _is_public(ip)):
            raise _refuse(f"{host} is a local or private network address; use a public host.")
    if not addresses:
        raise RepoAccessError(f"The host {host} has no address.", "REPO_HOST_UNKNOWN")
    return addresses[0]
