"""The stack against the Linux kernel's TCP/IP over TAP devices, in network namespaces.

Topology (``tb.netns.TapTopology``: two namespaces made here, removed in a finalizer even on
failure, and by the next run if this one is killed; nothing in the root namespace):

    namespace peer: nsimp (veth) 198.18.0.1/24 (Linux)
                       |
    namespace wire: nsimv --- bridge (no IP) --- TAP1  <- `python -m host.stack.serve` 198.18.0.2
                                             \\-- TAP2  <- an in-process stack (client) 198.18.0.3

Only 198.18.0.0/15 addresses are used and nothing is routed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tb.netns import TapTopology, call_in, unavailable

pytestmark = [pytest.mark.root, pytest.mark.xdist_group("stack_tap")]

LINUX_IP, SERVER_IP, CLIENT_IP = "198.18.0.1", "198.18.0.2", "198.18.0.3"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIB = 1 << 20
TAP1, TAP2 = TapTopology.TAPS


def need_root() -> None:
    reason = unavailable()
    if reason:
        pytest.skip(reason)


class Topology(TapTopology):
    """The TAP topology, with the Linux side's helpers these tests use."""

    def ns_run(self, *cmd: str, timeout: float = 60, input: bytes | None = None):
        return self.run(self.peer, *cmd, timeout=timeout, input=input)

    def ns_python(self, code: str, timeout: float = 60) -> bytes:
        return self.python(self.peer, code, timeout=timeout)

    def serve(self, tap: str, ip_cidr: str, *args: str) -> subprocess.Popen:
        """`python -m host.stack.serve` on a TAP of the wire namespace."""
        env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
        return self.popen(self.wire, [sys.executable, "-m", "host.stack.serve", "--direct",
                                      "--tap", tap, "--ip", ip_cidr, *args], cwd=REPO, env=env)


@pytest.fixture(scope="module")
def topo():
    need_root()
    t = Topology()
    try:
        t.up()
    except subprocess.CalledProcessError as e:
        pytest.skip(f"needs root and /dev/net/tun: cannot build the topology: {e.stderr}")
    yield t
    t.down()


@pytest.fixture(scope="module")
def http_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("www")
    data = hashlib.sha256(b"seed").digest() * (MIB // 32)
    (root / "big.bin").write_bytes(data)
    (root / "index.html").write_bytes(b"<h1>nicsim</h1>\n")
    (tmp_path_factory.getbasetemp() / "secret.txt").write_bytes(b"do not serve")
    return root, hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def server(topo, http_root):
    root, _ = http_root
    proc = topo.serve(TAP1, SERVER_IP + "/24", "--echo", "7", "--discard", "9", "--http", "80",
                      "--root", str(root))
    try:
        line = proc.stdout.readline()
        if b"nicsim serve:" not in line:
            proc.kill()
            raise AssertionError(f"server did not start: {line!r} {proc.stderr.read()!r}")
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def test_ping_is_answered(topo, server):
    if shutil.which("ping"):
        out = topo.ns_run("ping", "-c", "3", "-W", "2", SERVER_IP).stdout.decode()
        assert " 0% packet loss" in out
        return
    # no ping binary here: send three echo requests from a raw socket in the namespace
    out = topo.ns_python(f"""
        import socket, struct, time, os
        def csum(b):
            if len(b) % 2: b += b"\\0"
            s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
            while s >> 16: s = (s & 0xffff) + (s >> 16)
            return ~s & 0xffff
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        s.settimeout(3)
        ok = 0
        for seq in range(1, 4):
            body = b"nicsim-ping-%d" % seq
            hdr = struct.pack("!BBHHH", 8, 0, 0, 0x4242, seq)
            pkt = struct.pack("!BBHHH", 8, 0, csum(hdr + body), 0x4242, seq) + body
            s.sendto(pkt, ("{SERVER_IP}", 0))
            deadline = time.time() + 3
            while time.time() < deadline:
                data, addr = s.recvfrom(2000)
                ihl = (data[0] & 15) * 4
                t, c, ck, ident, sq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
                if addr[0] == "{SERVER_IP}" and t == 0 and ident == 0x4242 and sq == seq:
                    assert data[ihl + 8:] == body and csum(data[ihl:]) == 0
                    ok += 1
                    break
        print(ok)
    """)
    assert out.strip() == b"3"


def test_http_download_1mib(topo, server, http_root):
    _, digest = http_root
    out = topo.ns_python(f"""
        import hashlib, urllib.request, urllib.error
        body = urllib.request.urlopen("http://{SERVER_IP}/big.bin", timeout=30).read()
        print(len(body), hashlib.sha256(body).hexdigest())
        idx = urllib.request.urlopen("http://{SERVER_IP}/", timeout=10).read()
        print(idx.decode().strip())
        for path in ("/missing", "/../secret.txt", "/%2e%2e/secret.txt"):
            try:
                urllib.request.urlopen("http://{SERVER_IP}" + path, timeout=10)
                print(path, "served")
            except urllib.error.HTTPError as e:
                print(path, e.code)
    """, timeout=90).decode().split("\n")
    assert out[0] == f"{MIB} {digest}"
    assert out[1] == "<h1>nicsim</h1>"
    assert out[2] == "/missing 404"
    assert out[3].split()[1] in ("403", "404") and out[4].split()[1] in ("403", "404")


def test_http_keep_alive_two_requests_one_connection(topo, server):
    out = topo.ns_python(f"""
        import http.client
        c = http.client.HTTPConnection("{SERVER_IP}", 80, timeout=10)
        for _ in range(2):
            c.request("GET", "/index.html")
            r = c.getresponse()
            print(r.status, r.getheader("Connection"), len(r.read()))
        c.request("HEAD", "/big.bin")
        r = c.getresponse()
        print(r.status, r.getheader("Content-Length"), len(r.read()))
    """).decode().split("\n")
    assert out[:3] == ["200 keep-alive 16", "200 keep-alive 16", f"200 {MIB} 0"]


def test_discard_accepts_1mib_and_closes_cleanly(topo, server):
    out = topo.ns_python(f"""
        import socket
        s = socket.create_connection(("{SERVER_IP}", 9), timeout=30)
        data = bytes(range(256)) * 4096
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        print(repr(s.recv(10)))  # the server answers our FIN with its own: EOF, not a reset
        s.close()
    """, timeout=90)
    assert out.strip() == b"b''"


def test_echo_1mib(topo, server):
    out = topo.ns_python(f"""
        import hashlib, socket, threading
        s = socket.create_connection(("{SERVER_IP}", 7), timeout=30)
        data = hashlib.sha256(b"e").digest() * 32768
        def writer():
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        t = threading.Thread(target=writer)
        t.start()
        got = bytearray()
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        t.join()
        print(len(got), got == data)
    """, timeout=90)
    assert out.strip() == f"{MIB} True".encode()


def test_udp_echo(topo, server):
    out = topo.ns_python(f"""
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3)
        s.sendto(b"udp hello", ("{SERVER_IP}", 7))
        print(s.recvfrom(100)[0].decode())
    """)
    assert out.strip() == b"udp hello"


def test_stack_as_client_to_linux_server(topo):
    """An in-process stack on the second TAP connects to a Python server in the namespace."""
    from host.stack.api import SHUT_WR, Stack
    from host.stack.phy import TapDevice

    port = 5001
    server_code = textwrap.dedent(f"""
        import hashlib, socket, sys
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("{LINUX_IP}", {port}))
        ls.listen(1)
        ls.settimeout(30)
        print("ready", flush=True)
        c, _ = ls.accept()
        c.settimeout(30)
        h = hashlib.sha256()
        n = 0
        while True:
            d = c.recv(65536)
            if not d:
                break
            h.update(d)
            n += len(d)
        c.sendall(("%d %s\\n" % (n, h.hexdigest())).encode() + b"R" * 300000)
        c.close()
    """)
    proc = topo.popen(topo.peer, [sys.executable, "-c", server_code])
    dev = None
    try:
        assert proc.stdout.readline().strip() == b"ready"
        dev = call_in(topo.wire, lambda: TapDevice(TAP2))
        stack = Stack.for_tap(dev, "02:00:c6:12:00:03", CLIENT_IP + "/24")
        s = stack.socket()
        s.settimeout(20)
        s.connect((LINUX_IP, port))
        payload = os.urandom(MIB)
        s.sendall(payload)
        s.shutdown(SHUT_WR)
        got = bytearray()
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        head, _, rest = bytes(got).partition(b"\n")
        assert head.decode() == f"{MIB} {hashlib.sha256(payload).hexdigest()}"
        assert rest == b"R" * 300000
        s.close()
        # let our FIN be acknowledged before the device goes away
        stack.drive(lambda: not stack.iface._tcp_conns or all(
            t.state.value in ("TIME-WAIT", "CLOSED") for t in stack.iface.tcp_sockets), 5)
        assert proc.wait(timeout=20) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        if dev is not None:
            dev.close()


def test_serve_exits_cleanly_on_sigterm(topo, http_root, tmp_path):
    """A fresh server on TAP2: SIGTERM closes an open connection with a FIN and exits 0."""
    proc = topo.serve(TAP2, CLIENT_IP + "/24", "--echo", "7")
    try:
        assert b"nicsim serve:" in proc.stdout.readline()
        client = topo.popen(topo.peer, [sys.executable, "-c", textwrap.dedent(f"""
                import socket, sys
                s = socket.create_connection(("{CLIENT_IP}", 7), timeout=20)
                s.sendall(b"hi")
                assert s.recv(10) == b"hi"
                print("connected", flush=True)
                print(repr(s.recv(10)), flush=True)  # b'' when the server closes with FIN
            """)])
        assert client.stdout.readline().strip() == b"connected"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, proc.stderr.read()
        assert client.stdout.readline().strip() == b"b''"
        client.wait(timeout=10)
    finally:
        for p in (proc,):
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)


def test_serve_without_direct_exits_2():
    from host.stack.serve import main
    assert main(["--tap", "x", "--ip", "198.18.0.9/24", "--echo", "7"]) == 2


def test_monotonic_clock_sanity():
    # the TAP stack runs on time.monotonic(): a float in seconds, like the simulated clock
    assert isinstance(time.monotonic(), float)
