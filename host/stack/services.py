"""Small servers written on the stack's own socket API (non-blocking sockets + ``select``):
echo (RFC 862, TCP and UDP), discard (RFC 863, TCP and UDP) and a static-file HTTP/1.1 server
(GET/HEAD, Content-Length, keep-alive, 404, refuses path traversal).

``ServiceHost(stack)`` multiplexes any number of listeners and connections in one loop:
``run(until)`` serves until ``until()`` is true; ``shutdown()`` closes every connection with a FIN
and lets the stack finish the closes.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable

from .api import SO_REUSEADDR, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, Socket, Stack
from .socket.tcp import CLOSED, FIN_WAIT_2, TIME_WAIT

READ_CHUNK = 65536
OUT_HIGH_WATER = 256 * 1024  # stop reading from a peer while this much output is queued


class Connection:
    """One accepted TCP connection: an input handler and a queue of output."""

    def __init__(self, sock: Socket) -> None:
        self.sock = sock
        self.out = bytearray()
        self.source = None  # file object streamed after ``out`` (HTTP bodies)
        self.source_left = 0
        self.peer_eof = False
        self.close_after_output = False
        self.done = False

    def wants_read(self) -> bool:
        return not self.peer_eof and len(self.out) < OUT_HIGH_WATER

    def wants_write(self) -> bool:
        return bool(self.out) or self.source_left > 0

    def on_data(self, data: bytes) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def on_eof(self) -> None:
        self.close_after_output = True

    def refill(self) -> None:
        while self.source is not None and self.source_left and len(self.out) < OUT_HIGH_WATER:
            chunk = self.source.read(min(READ_CHUNK, self.source_left))
            if not chunk:
                self.source_left = 0
                break
            self.out += chunk
            self.source_left -= len(chunk)
        if self.source is not None and not self.source_left:
            self.source.close()
            self.source = None

    def finished(self) -> bool:
        return self.close_after_output and not self.out and not self.source_left


class EchoConnection(Connection):
    def on_data(self, data: bytes) -> None:
        self.out += data


class DiscardConnection(Connection):
    received = 0

    def on_data(self, data: bytes) -> None:
        self.received += len(data)


class HttpConnection(Connection):
    MAX_REQUEST = 16 * 1024

    def __init__(self, sock: Socket, root: str) -> None:
        super().__init__(sock)
        self.root = os.path.realpath(root)
        self.inbuf = bytearray()

    def on_data(self, data: bytes) -> None:
        self.inbuf += data
        while not self.close_after_output:
            end = self.inbuf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.inbuf) > self.MAX_REQUEST:
                    self._respond(431, "Request Header Fields Too Large", close=True)
                return
            head = bytes(self.inbuf[:end]).decode("latin-1")
            del self.inbuf[:end + 4]
            self._handle(head)
            if self.source_left:
                return  # one body at a time; later pipelined requests wait in inbuf

    def refill(self) -> None:
        super().refill()
        if not self.source_left and self.inbuf and not self.close_after_output:
            self.on_data(b"")

    def _handle(self, head: str) -> None:
        lines = head.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self._respond(400, "Bad Request", close=True)
            return
        method, target, version = parts
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip().lower()
        conn_hdr = headers.get("connection", "")
        keep = (version == "HTTP/1.1" and conn_hdr != "close") or conn_hdr == "keep-alive"
        if method not in ("GET", "HEAD"):
            self._respond(405, "Method Not Allowed", close=not keep, extra="Allow: GET, HEAD\r\n")
            return
        path = self._resolve(target)
        if path is None:
            self._respond(403, "Forbidden", close=not keep, head_only=method == "HEAD")
            return
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        try:
            f = open(path, "rb")  # noqa: SIM115 - streamed and closed by refill()
        except OSError:
            self._respond(404, "Not Found", close=not keep, head_only=method == "HEAD")
            return
        size = os.fstat(f.fileno()).st_size
        self.out += (f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n"
                     f"Content-Type: application/octet-stream\r\n"
                     f"Connection: {'keep-alive' if keep else 'close'}\r\n\r\n").encode()
        if method == "HEAD":
            f.close()
        else:
            self.source, self.source_left = f, size
        if not keep:
            self.close_after_output = True

    def _resolve(self, target: str) -> str | None:
        """Map a request target to a file under root; None if it would escape root."""
        raw_path = urllib.parse.urlsplit(target).path
        path = urllib.parse.unquote(raw_path)
        if "\x00" in path or not path.startswith("/"):
            return None
        full = os.path.realpath(os.path.join(self.root, path.lstrip("/")))
        if full != self.root and not full.startswith(self.root + os.sep):
            return None
        return full

    def _respond(self, code: int, reason: str, close: bool, extra: str = "",
                 head_only: bool = False) -> None:
        body = f"{code} {reason}\n".encode()
        self.out += (f"HTTP/1.1 {code} {reason}\r\nContent-Length: {len(body)}\r\n"
                     f"Content-Type: text/plain\r\n{extra}"
                     f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n").encode()
        if not head_only:
            self.out += body
        if close:
            self.close_after_output = True


class ServiceHost:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.listeners: dict[Socket, Callable[[Socket], Connection]] = {}
        self.udp: dict[Socket, bool] = {}  # socket -> echo?
        self.conns: dict[Socket, Connection] = {}
        self.bytes_discarded = 0
        self.connections_served = 0

    def _listen(self, port: int, factory) -> Socket:
        s = self.stack.socket(type=SOCK_STREAM)
        s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(64)
        s.setblocking(False)
        self.listeners[s] = factory
        return s

    def _udp(self, port: int, echo: bool) -> Socket:
        s = self.stack.socket(type=SOCK_DGRAM)
        s.bind(("0.0.0.0", port))
        s.setblocking(False)
        self.udp[s] = echo
        return s

    def add_echo(self, port: int, udp: bool = True) -> None:
        self._listen(port, EchoConnection)
        if udp:
            self._udp(port, True)

    def add_discard(self, port: int, udp: bool = True) -> None:
        self._listen(port, DiscardConnection)
        if udp:
            self._udp(port, False)

    def add_http(self, port: int, root: str) -> None:
        if not os.path.isdir(root):
            raise ValueError(f"HTTP root {root!r} is not a directory")
        self._listen(port, lambda sock: HttpConnection(sock, root))

    # ------------------------------------------------------------------ the loop

    def step(self, timeout: float | None) -> None:
        """One select round: wait up to ``timeout`` for readiness, then serve what is ready."""
        rlist = list(self.listeners) + list(self.udp)
        rlist += [s for s, c in self.conns.items() if c.wants_read()]
        wlist = [s for s, c in self.conns.items() if c.wants_write()]
        readable, writable, _ = self.stack.select(rlist, wlist, [], timeout)
        for s in readable:
            if s in self.listeners:
                self._accept(s)
            elif s in self.udp:
                self._serve_udp(s)
            elif s in self.conns:
                self._read(self.conns[s])
        for s in writable:
            c = self.conns.get(s)
            if c is not None:
                self._write(c)
        for c in [c for c in self.conns.values() if c.finished() or c.done]:
            self._close(c)

    def run(self, until: Callable[[], bool], tick: float = 0.5) -> None:
        while not until():
            self.step(tick)

    def _accept(self, lst: Socket) -> None:
        factory = self.listeners[lst]
        while True:
            try:
                sock, _ = lst.accept()
            except BlockingIOError:
                return
            except OSError:
                return
            sock.setblocking(False)
            self.conns[sock] = factory(sock)
            self.connections_served += 1

    def _serve_udp(self, s: Socket) -> None:
        while True:
            try:
                data, addr = s.recvfrom(65535)
            except BlockingIOError:
                return
            except OSError:
                return
            if self.udp[s]:
                try:
                    s.sendto(data, addr)
                except OSError:
                    pass  # a full queue drops the echo, as UDP may
            else:
                self.bytes_discarded += len(data)

    def _read(self, c: Connection) -> None:
        while c.wants_read():
            try:
                data = c.sock.recv(READ_CHUNK)
            except BlockingIOError:
                break
            except OSError:
                c.done = True
                return
            if not data:
                c.peer_eof = True
                c.on_eof()
                break
            c.on_data(data)
            if isinstance(c, DiscardConnection):
                self.bytes_discarded += len(data)
        self._write(c)

    def _write(self, c: Connection) -> None:
        c.refill()
        while c.out:
            try:
                n = c.sock.send(c.out)
            except BlockingIOError:
                return
            except OSError:
                c.done = True
                return
            del c.out[:n]
            c.refill()

    def _close(self, c: Connection) -> None:
        self.conns.pop(c.sock, None)
        if c.source is not None:
            c.source.close()
        c.sock.close()

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Close listeners and every connection gracefully (FIN after queued output). Returns
        True if all connections finished closing within ``timeout`` of the stack's time."""
        for s in list(self.listeners) + list(self.udp):
            s.close()
        self.listeners.clear()
        self.udp.clear()
        for c in list(self.conns.values()):
            c.close_after_output = True
            c.peer_eof = True
        deadline = self.stack.clock() + timeout
        while self.conns and self.stack.clock() < deadline:
            self.step(min(0.1, max(0.0, deadline - self.stack.clock())))
            for c in list(self.conns.values()):
                if not c.wants_write():
                    self._close(c)
        for c in list(self.conns.values()):
            self._close(c)

        def quiet() -> bool:
            return all(t.state in (CLOSED, TIME_WAIT, FIN_WAIT_2)
                       for t in self.stack.iface.tcp_sockets)

        return self.stack.drive(quiet, max(0.0, deadline - self.stack.clock()))
