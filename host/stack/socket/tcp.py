"""TCP connection state machine (RFC 9293), sans-IO.

A ``TcpSocket`` never touches a device. The interface hands it received segments
(``process``) and asks it for segments to send (``dispatch``), passing the time in as float
seconds. Everything time-dependent (retransmission, persist, delayed ACK, TIME_WAIT) is a deadline
the socket reports through ``poll_at``.

Implemented: the full state machine including simultaneous open and close; RST generation and
RFC 5961 acceptance (exact-match RST, challenge ACKs for in-window RST/SYN); MSS and window scale
options (RFC 7323); RTO per RFC 6298 (Karn, exponential backoff, retry limit -> ETIMEDOUT); slow
start / congestion avoidance (RFC 5681) with fast retransmit and NewReno recovery (RFC 6582);
delayed ACKs (timer, and an ACK for every second full segment); Nagle (RFC 896) with a NODELAY
switch; sender and receiver silly-window avoidance; zero-window probing with a backed-off persist
timer; half-close; listen backlog; an out-of-order queue bounded by the receive window; ISNs from
a keyed hash plus a clock (RFC 6528, computed by the interface).

Sequence numbers are unwrapped Python ints (see ``seq``).
"""

from __future__ import annotations

import enum
import errno
from collections import deque
from dataclasses import dataclass, replace

from ..wire.tcp import ACK, FIN, MAX_WSCALE, PSH, RST, SYN, TcpRepr
from .assembler import Assembler
from .seq import unwrap, wire


class State(enum.Enum):
    CLOSED = "CLOSED"
    LISTEN = "LISTEN"
    SYN_SENT = "SYN-SENT"
    SYN_RECEIVED = "SYN-RECEIVED"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT_1 = "FIN-WAIT-1"
    FIN_WAIT_2 = "FIN-WAIT-2"
    CLOSE_WAIT = "CLOSE-WAIT"
    CLOSING = "CLOSING"
    LAST_ACK = "LAST-ACK"
    TIME_WAIT = "TIME-WAIT"


CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED = State.CLOSED, State.LISTEN, State.SYN_SENT, \
    State.SYN_RECEIVED
ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2 = State.ESTABLISHED, State.FIN_WAIT_1, State.FIN_WAIT_2
CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT = State.CLOSE_WAIT, State.CLOSING, State.LAST_ACK, \
    State.TIME_WAIT

# states in which new data from the peer is accepted
_RECV_DATA_STATES = (ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2)
# states in which we may still be sending data or our FIN
_SEND_STATES = (ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK)
# states where the user can still queue data
_USER_SEND_STATES = (SYN_SENT, SYN_RECEIVED, ESTABLISHED, CLOSE_WAIT)

DEFAULT_MSS = 536  # RFC 9293 3.7.1: assumed when the peer sends no MSS option
MIN_MSS = 64       # clamp for absurdly small advertised MSS values
CLOCK_GRANULARITY = 0.001  # the default TcpConfig.clock_granularity (RFC 6298's G)

# what ``process`` asks the interface to do with the segment
REPLY_NONE = 0
REPLY_RST = 1          # answer with a RST derived from the segment (RFC 9293 "reset generation")
REPLY_TO_LISTENER = 2  # TIME-WAIT reuse (RFC 6191): hand the SYN to the listener instead


@dataclass
class TcpConfig:
    """Per-socket settings (a ``Stack`` hands its ``tcp_config`` to every socket it makes).

    The timer defaults are the RFC / Linux values for a general-purpose host on unknown paths
    (RTTs of milliseconds to seconds). A stack that knows its paths are short -- a datacenter, or
    two simulated hosts on one wire with microsecond RTTs -- can scale ``rto_initial``,
    ``rto_min``, ``clock_granularity`` and ``delayed_ack`` down with the RTT; keep
    ``delayed_ack`` well below ``rto_min`` so a delayed ACK can never look like a loss.
    """

    rx_buffer: int = 128 * 1024
    tx_buffer: int = 128 * 1024
    mss: int | None = None           # MSS we advertise; None: device MTU - 40
    window_scaling: bool = True
    rto_initial: float = 1.0         # RFC 6298 2.1
    rto_min: float = 0.2             # RFC 6298 says 1 s; 200 ms like Linux
    clock_granularity: float = CLOCK_GRANULARITY  # G of RFC 6298: RTO >= SRTT + max(G, 4 RTTVAR)
    rto_max: float = 60.0
    max_retries: int = 8             # retransmissions of one segment before ETIMEDOUT
    syn_retries: int = 5
    msl: float = 30.0                # TIME-WAIT lasts 2 * msl
    delayed_ack: float = 0.04        # 0 disables delayed ACKs
    nodelay: bool = False            # True disables Nagle
    initial_cwnd_segments: int = 10  # RFC 6928
    persist_max: float = 60.0
    fin_wait2_timeout: float = 60.0  # orphaned FIN-WAIT-2 sockets give up after this
    max_ooo_ranges: int = 64
    reset_on_unread_close: bool = True  # close() with unread data sends RST (RFC 2525 2.17)


class TcpSocket:
    """One TCP endpoint (or a listener). Attach it to an interface with ``iface.add_socket``."""

    def __init__(self, config: TcpConfig | None = None) -> None:
        self.config = replace(config) if config else TcpConfig()
        self.iface = None  # set by Interface.add_socket
        self.state = CLOSED
        self.local_ip: bytes | None = None
        self.local_port = 0
        self.remote_ip: bytes | None = None
        self.remote_port = 0
        self.error: int | None = None       # errno to report once (ECONNRESET, ...)
        self.user_closed = False            # close() called: no reader any more
        self.read_shut = False              # shutdown(SHUT_RD)
        self._reset_state()
        # listener bookkeeping
        self.backlog = 0
        self._accept_queue: deque[TcpSocket] = deque()
        self._half_open: set[TcpSocket] = set()
        self.listener: TcpSocket | None = None
        self.passive = False
        self.stats_retransmits = 0
        self.stats_segments_sent = 0
        self.stats_segments_received = 0
        self.stats_fast_retransmits = 0
        self.stats_timeouts = 0
        self.stats_probes = 0
        self.trace = None  # optional callable(event: str, now, **info) for tests

    def _reset_state(self) -> None:
        self.iss = 0
        self.snd_una = 0
        self.snd_nxt = 0
        self.snd_max = 0   # highest sequence number sent + 1 (snd_nxt rewinds on timeout)
        self.snd_wnd = 0
        self.max_snd_wnd = 0
        self.snd_wl1 = 0
        self.snd_wl2 = 0
        self.snd_wscale = 0
        self.snd_mss = DEFAULT_MSS
        self.irs = 0
        self.rcv_nxt = 0
        self.rcv_wscale = 0
        self.rcv_adv_edge = 0  # right edge of the window we last advertised
        self._tx = bytearray()
        self._tx_start = 0     # sequence number of _tx[0]
        self._fin_queued = False
        self._rx = bytearray()
        self._ooo = Assembler(self.config.max_ooo_ranges)
        self._ooo_fin: int | None = None
        self.fin_received = False
        # timers (absolute deadlines, None when stopped)
        self._rtx_at: float | None = None
        self._persist_at: float | None = None
        self._ack_at: float | None = None
        self._timewait_at: float | None = None
        self._fin_wait2_at: float | None = None
        self._retries = 0
        self._persist_backoff = 0
        # RTT estimation (RFC 6298)
        self.srtt: float | None = None
        self.rttvar = 0.0
        self.rto = self.config.rto_initial
        self._rtt_seq: int | None = None
        self._rtt_start = 0.0
        # congestion control (RFC 5681 / 6582)
        self.cwnd = 0
        self.ssthresh = 1 << 30
        self.dupacks = 0
        self.recover = 0
        self.in_recovery = False
        self._rtx_una = False       # retransmit the first unacknowledged segment now
        # ACK generation
        self._ack_now = False
        self._unacked_bytes = 0
        self._rcv_seg_est = DEFAULT_MSS
        self._pending_rst: int | None = None  # sequence number of a RST to send (abort)
        self._send_probe = False
        self._force_send = False
        self._probes_unanswered = 0
        self._dupacks_owed = 0
        self._peer_wscale_ok = False

    # ------------------------------------------------------------------ user-facing operations

    @property
    def mss(self) -> int:
        """The MSS we advertise."""
        if self.config.mss:
            return self.config.mss
        mtu = self.iface.device.capabilities.mtu if self.iface else 1500
        return mtu - 40

    def _choose_rcv_wscale(self) -> int:
        if not self.config.window_scaling:
            return 0
        shift = 0
        while (self.config.rx_buffer >> shift) > 0xFFFF and shift < MAX_WSCALE:
            shift += 1
        return shift

    def listen(self, local_port: int, backlog: int = 16, local_ip: bytes | None = None) -> None:
        if self.state is not CLOSED:
            raise OSError(errno.EINVAL, "socket is not closed")
        self.iface._tcp_listen(self, local_port, local_ip)
        self.local_port = local_port
        self.local_ip = local_ip
        self.backlog = max(1, backlog)
        self.state = LISTEN

    def connect(self, remote_ip: bytes, remote_port: int, local_port: int = 0) -> None:
        """Start an active open; the SYN goes out on the interface's next poll."""
        if self.state is not CLOSED:
            raise OSError(errno.EISCONN if self.state is not LISTEN else errno.EINVAL,
                          "socket is not closed")
        iface = self.iface
        now = iface.now
        self._reset_state()
        self.local_ip = iface.ip
        self.remote_ip = remote_ip
        self.remote_port = remote_port
        self.local_port = iface._tcp_bind_connection(self, local_port, remote_ip, remote_port)
        self.iss = iface.isn(self.local_ip, self.local_port, remote_ip, remote_port, now)
        self.snd_una = self.snd_nxt = self.snd_max = self.iss
        self._tx_start = self.iss + 1
        self.recover = self.iss
        self.rcv_wscale = self._choose_rcv_wscale()
        self.error = None
        self.user_closed = False
        self.state = SYN_SENT
        self._trace("connect", now)

    def accept(self) -> TcpSocket | None:
        """Pop an established child connection, or None."""
        if self._accept_queue:
            child = self._accept_queue.popleft()
            child.listener = None
            return child
        return None

    @property
    def accept_pending(self) -> int:
        return len(self._accept_queue)

    def send(self, data) -> int:
        """Queue up to ``len(data)`` bytes; returns how many were taken (0 if the buffer is
        full). Raises OSError for states where sending is impossible."""
        if self.state not in _USER_SEND_STATES or self._fin_queued:
            if self.error is not None:
                raise self._take_error_exc()
            raise OSError(errno.EPIPE if self.state is not LISTEN else errno.ENOTCONN,
                          "cannot send on this socket")
        room = self.config.tx_buffer - len(self._tx)
        if room <= 0:
            return 0
        n = min(room, len(data))
        self._tx += data[:n] if n < len(data) else data
        return n

    @property
    def send_capacity(self) -> int:
        return self.config.tx_buffer - len(self._tx)

    @property
    def send_queued(self) -> int:
        """Bytes sent by the user but not yet acknowledged."""
        return len(self._tx)

    def recv(self, max_bytes: int) -> bytes:
        """Return up to ``max_bytes`` of in-order data; b'' means nothing is buffered (check
        ``at_eof``/``error`` to tell end-of-stream from would-block)."""
        rx = self._rx
        if not rx:
            return b""
        if max_bytes >= len(rx):
            data = bytes(rx)
            rx.clear()
        else:
            data = bytes(rx[:max_bytes])
            del rx[:max_bytes]
        if self._window_update_due():
            self._ack_now = True
        return data

    @property
    def recv_queued(self) -> int:
        return len(self._rx)

    @property
    def at_eof(self) -> bool:
        """The peer has sent FIN and all its data has been read."""
        return not self._rx and (self.fin_received or self.read_shut)

    @property
    def is_connected(self) -> bool:
        return self.state in (ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK,
                              TIME_WAIT)

    @property
    def is_readable(self) -> bool:
        if self.state is LISTEN:
            return bool(self._accept_queue)
        return bool(self._rx) or self.at_eof or self.error is not None or (
            self.state is CLOSED and self.remote_ip is not None)

    @property
    def is_writable(self) -> bool:
        if self.state in (ESTABLISHED, CLOSE_WAIT) and not self._fin_queued:
            return self.send_capacity > 0
        return self.error is not None or self.state is CLOSED and self.remote_ip is not None

    def shutdown_write(self) -> None:
        """Half-close: queue a FIN after the data already queued."""
        st = self.state
        if st in (SYN_SENT, CLOSED, LISTEN):
            self._to_closed()
            return
        if self._fin_queued:
            return
        self._fin_queued = True
        if st is ESTABLISHED:
            self._set_state(FIN_WAIT_1)
        elif st is CLOSE_WAIT:
            self._set_state(LAST_ACK)
        # SYN-RECEIVED: the FIN goes out once the handshake completes

    def shutdown_read(self) -> None:
        self.read_shut = True
        self._rx.clear()

    def close(self) -> None:
        """Graceful close: FIN after queued data; the socket lingers in the interface until the
        connection is over. Unread received data turns it into an abort (RST)."""
        self.user_closed = True
        st = self.state
        if st is LISTEN:
            self._close_listener()
            return
        if st in (CLOSED, SYN_SENT):
            self._to_closed()
            return
        if self._rx and self.config.reset_on_unread_close:
            self.abort()
            return
        self.shutdown_write()
        if self.state is FIN_WAIT_2:
            self._arm_fin_wait2()

    def abort(self) -> None:
        """Send a RST (if synchronized) and drop the connection at once."""
        self.user_closed = True
        st = self.state
        if st is LISTEN:
            self._close_listener()
            return
        if st in (SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT):
            self._pending_rst = self.snd_max
        self._to_closed()

    def _close_listener(self) -> None:
        for child in list(self._accept_queue) + list(self._half_open):
            child.listener = None
            child.abort()
        self._accept_queue.clear()
        self._half_open.clear()
        self._to_closed()

    def take_error(self) -> int | None:
        err, self.error = self.error, None
        return err

    def _take_error_exc(self) -> OSError:
        err = self.take_error()
        return OSError(err, errno.errorcode.get(err, "error"))

    # ------------------------------------------------------------------ state helpers

    def _trace(self, event: str, now: float, **info) -> None:
        if self.trace is not None:
            self.trace(event, now, **info)

    def _set_state(self, new: State) -> None:
        self.state = new

    def _to_closed(self, err: int | None = None) -> None:
        if err is not None:
            self.error = err
        prev = self.state
        self.state = CLOSED
        self._rtx_at = self._persist_at = self._ack_at = None
        self._timewait_at = self._fin_wait2_at = None
        self._ack_now = False
        self._rtx_una = False
        if self.listener is not None:
            self.listener._child_gone(self)
        if self.iface is not None and prev is not CLOSED:
            self.iface._tcp_unbind(self)

    def _enter_time_wait(self, now: float) -> None:
        self._set_state(TIME_WAIT)
        self._rtx_at = self._persist_at = self._fin_wait2_at = None
        self._timewait_at = now + 2 * self.config.msl

    def _arm_fin_wait2(self) -> None:
        if self.user_closed and self._fin_wait2_at is None and self.iface is not None:
            self._fin_wait2_at = self.iface.now + self.config.fin_wait2_timeout

    def _child_gone(self, child: TcpSocket) -> None:
        self._half_open.discard(child)
        # a reset child stays in the accept queue; accept() then reports its error (like Linux)

    def _child_established(self, child: TcpSocket) -> None:
        self._half_open.discard(child)
        self._accept_queue.append(child)

    # ------------------------------------------------------------------ receive window

    def _window_update_due(self) -> bool:
        """After the user read data: is the opening worth a window-update ACK? Yes when the
        advertised window was below one segment and now has room for one (this is what ends a
        zero-window stall), or when the edge moves by half the buffer. Smaller openings ride on
        the next ACK (receiver SWS avoidance, RFC 9293 3.8.6.2.2)."""
        if self.state not in _RECV_DATA_STATES:
            return False
        seg = min(self._rcv_seg_est, self.config.rx_buffer // 2)
        free = self.config.rx_buffer - len(self._rx)
        advertised = self.rcv_adv_edge - self.rcv_nxt
        if advertised < seg <= free:
            return True
        return self.rcv_nxt + free - self.rcv_adv_edge >= self.config.rx_buffer // 2

    def _window_field(self) -> int:
        """The window field for an outgoing segment; also records the advertised right edge."""
        free = self.config.rx_buffer - len(self._rx)
        edge = self.rcv_nxt + free
        threshold = min(self.config.rx_buffer // 2, self._rcv_seg_est)
        if edge - self.rcv_adv_edge < threshold:
            edge = max(self.rcv_adv_edge, self.rcv_nxt)  # never shrink; don't creep forward
        field = (edge - self.rcv_nxt) >> self.rcv_wscale
        if field > 0xFFFF:
            field = 0xFFFF
        adv = self.rcv_nxt + (field << self.rcv_wscale)
        if adv > self.rcv_adv_edge:
            self.rcv_adv_edge = adv
        return field

    # ------------------------------------------------------------------ segment arrival

    def process(self, now: float, seg: TcpRepr, remote_ip: bytes, local_ip: bytes) -> int:
        """Handle one received segment addressed to this socket. Returns a ``REPLY_*`` code."""
        self.stats_segments_received += 1
        st = self.state
        if st is LISTEN:
            return self._process_listen(now, seg, remote_ip, local_ip)
        if st is SYN_SENT:
            return self._process_syn_sent(now, seg)
        if st is CLOSED:
            return REPLY_RST if not seg.flags & RST else REPLY_NONE

        flags = seg.flags
        payload = seg.payload
        plen = len(payload)
        seq = unwrap(seg.seq, self.rcv_nxt)
        seg_len = plen + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)
        rcv_nxt = self.rcv_nxt
        wnd = max(0, self.rcv_adv_edge - rcv_nxt)

        if st is SYN_RECEIVED and flags & SYN and not flags & ACK and seq == rcv_nxt - 1:
            # the peer retransmitted its SYN: our SYN-ACK was lost, resend it now
            self.snd_nxt = self.iss
            return REPLY_NONE
        if st is TIME_WAIT and flags & SYN and not flags & (ACK | RST) and seq > rcv_nxt:
            # RFC 6191-style reuse of a TIME-WAIT pair by a new incarnation
            self._to_closed()
            return REPLY_TO_LISTENER

        # 1. sequence number check (RFC 9293 3.10.7.4)
        if seg_len == 0:
            acceptable = seq == rcv_nxt if wnd == 0 else rcv_nxt <= seq < rcv_nxt + wnd
        else:
            acceptable = wnd > 0 and (rcv_nxt <= seq < rcv_nxt + wnd
                                      or rcv_nxt <= seq + seg_len - 1 < rcv_nxt + wnd)
        if not acceptable:
            if flags & RST:
                return REPLY_NONE
            self._ack_now = True
            if st is TIME_WAIT and flags & FIN:
                self._timewait_at = now + 2 * self.config.msl
            # a zero-window probe at the edge still carries a valid ACK (3.10.7.4)
            if not (wnd == 0 and seq == rcv_nxt and flags & ACK):
                return REPLY_NONE
            payload = payload[:0]
            flags &= ~(FIN | SYN)
        else:
            # trim to the window: drop what we already have and what does not fit
            if seq < rcv_nxt:
                cut = rcv_nxt - seq
                if flags & SYN:
                    flags &= ~SYN
                    cut -= 1
                payload = payload[cut:]
                seq = rcv_nxt
            room = rcv_nxt + wnd - seq
            if len(payload) > room:
                payload = payload[:max(room, 0)]
                flags &= ~FIN

        # 2. RST (RFC 5961 3.2: only an exact match resets, in-window ones get a challenge ACK)
        if flags & RST:
            if unwrap(seg.seq, rcv_nxt) != rcv_nxt:
                self._ack_now = True
                return REPLY_NONE
            self._trace("rst_received", now)
            if st is SYN_RECEIVED:
                self._to_closed(None if self.passive else errno.ECONNREFUSED)
            elif st in (ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT):
                self._to_closed(errno.ECONNRESET)
            else:
                self._to_closed()
            return REPLY_NONE

        # 4. SYN in a synchronized state: challenge ACK (RFC 5961 4.2)
        if flags & SYN:
            self._ack_now = True
            return REPLY_NONE

        # 5. ACK
        if not flags & ACK:
            return REPLY_NONE
        ack = unwrap(seg.ack, self.snd_una)
        if st is SYN_RECEIVED:
            if not self.snd_una < ack <= self.snd_max:
                return REPLY_RST
            self._established(now, ack, seq, seg.window << self.snd_wscale)
            st = self.state
        if ack > self.snd_max:
            self._ack_now = True  # acknowledges something never sent
            return REPLY_NONE
        if ack >= self.snd_una:
            self._process_ack(now, ack, seq, seg.window, plen == 0 and not flags & FIN)
            st = self.state
            if self.state is CLOSED:
                return REPLY_NONE

        # 7. segment text
        if payload and st in _RECV_DATA_STATES:
            if self.user_closed and self.config.reset_on_unread_close:
                # nobody will ever read this: tell the peer (RFC 9293 3.10.7.4, Linux)
                self.abort()
                return REPLY_NONE
            self._receive_data(now, seq, payload)

        # 8. FIN
        if flags & FIN and st not in (SYN_RECEIVED,):
            fin_seq = seq + len(payload)
            if fin_seq == self.rcv_nxt:
                self._fin_arrived(now)
            elif fin_seq > self.rcv_nxt:
                self._ooo_fin = fin_seq
                self._ack_now = True
        return REPLY_NONE

    def _process_listen(self, now: float, seg: TcpRepr, remote_ip: bytes, local_ip: bytes) -> int:
        flags = seg.flags
        if flags & RST:
            return REPLY_NONE
        if flags & ACK:
            return REPLY_RST
        if not flags & SYN:
            return REPLY_NONE
        if len(self._accept_queue) + len(self._half_open) >= self.backlog:
            if self.iface is not None:
                self.iface.stats.tcp_listen_overflows += 1
            return REPLY_NONE  # the client will retransmit its SYN
        child = TcpSocket(self.config)
        child.trace = self.trace
        self.iface.add_socket(child)
        child.passive = True
        child.listener = self
        child.local_ip, child.local_port = local_ip, self.local_port
        child.remote_ip, child.remote_port = remote_ip, seg.src_port
        child.iss = self.iface.isn(local_ip, self.local_port, remote_ip, seg.src_port, now)
        child.snd_una = child.snd_nxt = child.snd_max = child.iss
        child._tx_start = child.iss + 1
        child.recover = child.iss
        child._accept_syn(seg)
        child.state = SYN_RECEIVED
        self.iface._tcp_register(child)
        self._half_open.add(child)
        child._trace("syn_received", now)
        return REPLY_NONE

    def _accept_syn(self, seg: TcpRepr) -> None:
        """Record the peer's SYN: IRS, MSS and window-scale options."""
        self.irs = seg.seq
        self.rcv_nxt = seg.seq + 1
        # what our SYN / SYN-ACK advertises (unscaled, RFC 7323 2.2)
        self.rcv_adv_edge = self.rcv_nxt + min(self.config.rx_buffer, 0xFFFF)
        peer_mss = seg.mss if seg.mss is not None else DEFAULT_MSS
        self.snd_mss = max(MIN_MSS, min(peer_mss, self.mss))
        if seg.wscale is not None and self.config.window_scaling:
            self._peer_wscale_ok = True
            self.snd_wscale = seg.wscale
            if self.state is not SYN_SENT:
                self.rcv_wscale = self._choose_rcv_wscale()
        else:
            self._peer_wscale_ok = False
            self.snd_wscale = 0
            self.rcv_wscale = 0
        self.snd_wnd = seg.window  # never scaled in a SYN (RFC 7323 2.2)
        self.max_snd_wnd = self.snd_wnd
        self.snd_wl1 = self.rcv_nxt - 1
        self.cwnd = self.config.initial_cwnd_segments * self.snd_mss

    def _process_syn_sent(self, now: float, seg: TcpRepr) -> int:
        flags = seg.flags
        ack_ok = False
        if flags & ACK:
            ack = unwrap(seg.ack, self.iss)
            if ack <= self.iss or ack > self.snd_max:
                return REPLY_NONE if flags & RST else REPLY_RST
            ack_ok = True
        if flags & RST:
            if ack_ok:
                self._trace("refused", now)
                self._to_closed(errno.ECONNREFUSED)
            return REPLY_NONE
        if not flags & SYN:
            return REPLY_NONE
        self._accept_syn(seg)
        if ack_ok:
            self._rtt_sample_if_timed(now, ack)
            self.snd_una = ack
            self._rtx_at = None
            self._retries = 0
            self.snd_wl1, self.snd_wl2 = seg.seq, ack
            self._set_state(ESTABLISHED)
            self._ack_now = True
            self._trace("established", now)
            if self._fin_queued:
                self._set_state(FIN_WAIT_1)
        else:
            # simultaneous open: answer with SYN-ACK re-using our ISS
            self._set_state(SYN_RECEIVED)
            self.snd_nxt = self.iss
            self._rtx_at = None
        return REPLY_NONE

    def _established(self, now: float, ack: int, seq: int, window: int) -> None:
        self.snd_wnd = window
        self.max_snd_wnd = max(self.max_snd_wnd, window)
        self.snd_wl1, self.snd_wl2 = seq, ack
        self._set_state(FIN_WAIT_1 if self._fin_queued else ESTABLISHED)
        self._trace("established", now)
        if self.listener is not None:
            self.listener._child_established(self)

    def _process_ack(self, now: float, ack: int, seq: int, window_field: int,
                     pure_ack: bool) -> None:
        mss = self.snd_mss
        self._probes_unanswered = 0
        window = window_field << self.snd_wscale
        # the send window is updated only from segments that are not older than the last update
        if self.snd_wl1 < seq or (self.snd_wl1 == seq and self.snd_wl2 <= ack):
            window_changed = window != self.snd_wnd
            self.snd_wnd = window
            self.max_snd_wnd = max(self.max_snd_wnd, window)
            self.snd_wl1, self.snd_wl2 = seq, ack
        else:
            window_changed = False
        if self.snd_wnd > 0:
            self._persist_backoff = 0

        if ack > self.snd_una:
            acked = ack - self.snd_una
            self._rtt_sample_if_timed(now, ack)
            # drop acknowledged data from the send buffer (SYN and FIN are not in it)
            data_end = self._tx_start + len(self._tx)
            n = min(ack, data_end) - self._tx_start
            if n > 0:
                del self._tx[:n]
                self._tx_start += n
            self.snd_una = ack
            if self.snd_nxt < ack:
                self.snd_nxt = ack
            self._retries = 0
            self._persist_backoff = 0 if self.snd_wnd else self._persist_backoff
            # congestion control
            if self.in_recovery:
                if ack >= self.recover:  # full acknowledgment (RFC 6582 3.2 step 3)
                    flight = self.snd_max - ack
                    self.cwnd = min(self.ssthresh, max(flight, mss) + mss)
                    self.in_recovery = False
                    self._trace("recovery_exit", now)
                else:  # partial acknowledgment: retransmit the next hole, deflate
                    self._rtx_una = True
                    self.cwnd = max(self.cwnd - acked + mss, mss)
            elif self.cwnd < self.ssthresh:
                self.cwnd += min(acked, mss)
            else:
                self.cwnd += max(1, mss * mss // self.cwnd)
            self.dupacks = 0
            # RFC 6298 5.2/5.3
            self._rtx_at = None if ack >= self.snd_max else now + self.rto
        elif (pure_ack and not window_changed and self.snd_max > self.snd_una
              and ack == self.snd_una):
            self.dupacks += 1
            if self.in_recovery:
                self.cwnd += mss  # inflate for the segment that left the network
            elif self.dupacks == 3 and ack > self.recover:
                flight = self.snd_max - self.snd_una
                self.ssthresh = max(flight // 2, 2 * mss)
                self.recover = self.snd_max
                self.cwnd = self.ssthresh + 3 * mss
                self.in_recovery = True
                self._rtx_una = True
                self._rtt_seq = None  # Karn
                self.stats_fast_retransmits += 1
                self._trace("fast_retransmit", now, seq=self.snd_una)

        # our FIN acknowledged?
        if self._fin_queued and ack >= self._tx_start + len(self._tx) + 1 and not self._tx:
            st = self.state
            if st is FIN_WAIT_1:
                self._set_state(FIN_WAIT_2)
                self._arm_fin_wait2()
            elif st is CLOSING:
                self._enter_time_wait(now)
            elif st is LAST_ACK:
                self._to_closed()

    def _rtt_sample_if_timed(self, now: float, ack: int) -> None:
        if self._rtt_seq is None or ack < self._rtt_seq:
            return
        r = now - self._rtt_start
        self._rtt_seq = None
        if self.srtt is None:
            self.srtt = r
            self.rttvar = r / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - r)
            self.srtt = 0.875 * self.srtt + 0.125 * r
        rto = self.srtt + max(self.config.clock_granularity, 4 * self.rttvar)
        self.rto = min(max(rto, self.config.rto_min), self.config.rto_max)

    def _receive_data(self, now: float, seq: int, payload) -> None:
        n = len(payload)
        if n > self._rcv_seg_est:
            self._rcv_seg_est = min(n, self.mss)
        if self.read_shut:
            # SHUT_RD: acknowledge and discard
            if seq == self.rcv_nxt:
                self.rcv_nxt += n
                self.rcv_adv_edge = max(self.rcv_adv_edge, self.rcv_nxt)
            self._ack_now = True
            return
        if seq == self.rcv_nxt:
            self._rx += payload
            self.rcv_nxt += n
            if self._ooo:
                while True:
                    more = self._ooo.pop_contiguous(self.rcv_nxt)
                    if more is None:
                        break
                    self._rx += more
                    self.rcv_nxt += len(more)
                self._ack_now = True  # a hole was (partly) filled: ACK at once (RFC 5681 4.2)
            if self._ooo_fin is not None and self._ooo_fin == self.rcv_nxt:
                self._ooo_fin = None
                self._fin_arrived(now)
                return
            self._unacked_bytes += n
            if self._unacked_bytes >= 2 * self._rcv_seg_est or not self.config.delayed_ack:
                self._ack_now = True
            elif self._ack_at is None:
                self._ack_at = now + self.config.delayed_ack
        else:
            # out of order: keep it (within the window, already trimmed) and send a duplicate
            # ACK at once so the sender can fast-retransmit
            if not self._ooo.insert(seq, payload):
                if self.iface is not None:
                    self.iface.stats.tcp_ooo_drops += 1
            self._ack_now = True
            # one duplicate ACK per out-of-order segment, even when the interface handles a
            # batch of frames before this socket gets to send
            self._dupacks_owed += 1

    def _fin_arrived(self, now: float) -> None:
        self.rcv_nxt += 1
        self.rcv_adv_edge = max(self.rcv_adv_edge, self.rcv_nxt)
        self.fin_received = True
        self._ack_now = True
        st = self.state
        self._trace("fin_received", now)
        if st in (SYN_RECEIVED, ESTABLISHED):
            self._set_state(CLOSE_WAIT)
        elif st is FIN_WAIT_1:
            fin_acked = self._fin_queued and not self._tx and \
                self.snd_una >= self._tx_start + 1 and self.snd_max >= self._tx_start + 1
            if fin_acked:
                self._enter_time_wait(now)
            else:
                self._set_state(CLOSING)
        elif st is FIN_WAIT_2:
            self._enter_time_wait(now)
        elif st is TIME_WAIT:
            self._timewait_at = now + 2 * self.config.msl

    # ------------------------------------------------------------------ timers

    def _arm_persist(self, now: float) -> None:
        if self._persist_at is None:
            delay = min(self.rto * (1 << self._persist_backoff), self.config.persist_max)
            self._persist_at = now + max(delay, self.config.rto_min)

    def _has_unsent(self) -> bool:
        data_end = self._tx_start + len(self._tx)
        return self.snd_nxt < data_end or (self._fin_queued and self.snd_max <= data_end)

    def _on_timers(self, now: float) -> None:
        if self._timewait_at is not None and now >= self._timewait_at:
            self._trace("time_wait_done", now)
            self._to_closed()
            return
        if self._fin_wait2_at is not None and now >= self._fin_wait2_at \
                and self.state is FIN_WAIT_2:
            self._to_closed()
            return
        if self._ack_at is not None and now >= self._ack_at:
            self._ack_at = None
            self._ack_now = True
        if self._rtx_at is not None and now >= self._rtx_at:
            self._on_retransmit_timeout(now)
        if self._persist_at is not None and now >= self._persist_at:
            self._persist_at = None
            if self.snd_una == self.snd_max and self._has_unsent():
                if self.snd_wnd > 0:
                    # the window is open but too small for silly-window avoidance to send:
                    # the override timeout (RFC 9293 3.8.6.2.1) sends what fits
                    self._force_send = True
                    return
                if self._probes_unanswered > self.config.max_retries:
                    self._to_closed(errno.ETIMEDOUT)  # the peer stopped answering probes
                    return
                self._send_probe = True
                self._persist_backoff += 1

    def _on_retransmit_timeout(self, now: float) -> None:
        self._rtx_at = None
        if self.snd_una >= self.snd_max:
            return
        self._retries += 1
        limit = self.config.syn_retries if self.state in (SYN_SENT, SYN_RECEIVED) \
            else self.config.max_retries
        self.stats_timeouts += 1
        if self._retries > limit:
            self._trace("timeout", now)
            self._to_closed(errno.ETIMEDOUT)
            return
        self._trace("rto", now, seq=self.snd_una, rto=self.rto)
        if self._retries == 1:  # RFC 5681 (4): only on the first timeout of a segment
            flight = self.snd_max - self.snd_una
            self.ssthresh = max(flight // 2, 2 * self.snd_mss)
        self.cwnd = self.snd_mss
        self.in_recovery = False
        self.recover = self.snd_max
        self.dupacks = 0
        self._rtt_seq = None
        self.rto = min(self.rto * 2, self.config.rto_max)
        self.snd_nxt = self.snd_una  # go back and resend from the first unacknowledged byte

    def poll_at(self, now: float) -> float | None:
        """When ``dispatch`` next has something to do: ``now`` if it has work at once."""
        st = self.state
        if self._pending_rst is not None:
            return now
        if st is CLOSED or st is LISTEN:
            return None
        if self._ack_now or self._rtx_una or self._send_probe or self._dupacks_owed:
            return now
        if self._next_segment(peek=True) is not None:
            return now
        at = None
        for t in (self._rtx_at, self._persist_at, self._ack_at, self._timewait_at,
                  self._fin_wait2_at):
            if t is not None and (at is None or t < at):
                at = t
        return at

    # ------------------------------------------------------------------ segment departure

    def _next_segment(self, peek: bool = False):
        """(seq, payload_len, flags) of the next segment the windows allow, or None."""
        st = self.state
        seq = self.snd_nxt
        if st is SYN_SENT or st is SYN_RECEIVED:
            if seq == self.iss:
                return (seq, 0, SYN if st is SYN_SENT else SYN | ACK)
            return None
        if st not in _SEND_STATES:
            return None
        data_end = self._tx_start + len(self._tx)
        avail = data_end - seq
        # the FIN sits at data_end; it is (re)sent by any segment that reaches data_end
        fin_pending = self._fin_queued and seq <= data_end
        if avail <= 0:
            # only the FIN is left; it needs room in the peer's window (the persist timer probes
            # a zero window) but not in cwnd
            return (seq, 0, FIN | ACK) if fin_pending and self.snd_wnd > 0 else None
        usable = self.snd_una + min(self.snd_wnd, self.cwnd) - seq
        if usable <= 0:
            return None
        n = min(avail, usable, self.snd_mss)
        if n < self.snd_mss and seq >= self.snd_max:
            # Nagle (RFC 896): hold a small segment while data is unacknowledged
            if n == avail:
                if (not self.config.nodelay and self.snd_max > self.snd_una
                        and not self._fin_queued):
                    return None
            # sender SWS avoidance (RFC 9293 3.8.6.2.1): a window-limited runt only if it
            # is at least half the largest window the peer offered
            elif n < self.max_snd_wnd // 2 and not self._force_send:
                return None
        flags = ACK
        if n == avail:
            flags |= PSH
            if self._fin_queued:
                flags |= FIN
        return (seq, n, flags)

    def dispatch(self, now: float, emit) -> None:
        """Emit due segments through ``emit(sock, repr, payload) -> bool`` (False: the device is
        out of buffers; try again at the next poll)."""
        if self._pending_rst is not None:
            rst = TcpRepr(self.local_port, self.remote_port, wire(self._pending_rst),
                          wire(self.rcv_nxt), RST | ACK, 0)
            if emit(self, rst, b""):
                self._pending_rst = None
            return
        st = self.state
        if st is CLOSED or st is LISTEN:
            return
        self._on_timers(now)
        if self.state is CLOSED:
            if self._pending_rst is not None:
                self.dispatch(now, emit)
            return
        sent = False
        if self._rtx_una:
            self._rtx_una = False
            if self.snd_una < self.snd_max and self._send_at(now, emit, self.snd_una, rtx=True):
                sent = True
        if self._send_probe:
            self._send_probe = False
            if self._send_zero_window_probe(now, emit):
                sent = True
        while True:
            nxt = self._next_segment()
            if nxt is None:
                break
            seq, n, flags = nxt
            if not self._emit_segment(now, emit, seq, n, flags):
                return
            sent = True
            self._force_send = False
            self.snd_nxt = seq + n + (1 if flags & (SYN | FIN) else 0)
        # Pure ACKs carry SEQ = snd_max, the RFC's SND.NXT: our snd_nxt is rewound by a timeout
        # and a segment with an older SEQ would be outside the peer's window and discarded.
        if self._dupacks_owed:
            # owed duplicate ACKs go out even if data was sent: the peer counts pure ACKs only
            extra = min(self._dupacks_owed, 8)
            self._dupacks_owed = 0
            for _ in range(extra):
                if not self._emit_segment(now, emit, self.snd_max, 0, ACK):
                    break
            sent = True
        if (not sent) and self._ack_now and self.state is not SYN_SENT:
            self._emit_segment(now, emit, self.snd_max, 0, ACK)
        # data waiting, nothing in flight, and the window did not let it go: only a timer can
        # unblock us (zero-window probe, or the silly-window override), so run the persist timer
        if self.state in _SEND_STATES and self.snd_una == self.snd_max and self._has_unsent():
            self._arm_persist(now)
        else:
            self._persist_at = None

    def _send_at(self, now: float, emit, seq: int, rtx: bool) -> bool:
        """(Re)transmit one segment starting at ``seq`` without moving ``snd_nxt``."""
        if seq == self.iss and self.state in (SYN_SENT, SYN_RECEIVED):
            flags = SYN if self.state is SYN_SENT else SYN | ACK
            return self._emit_segment(now, emit, seq, 0, flags)
        data_end = self._tx_start + len(self._tx)
        n = min(self.snd_mss, max(data_end - seq, 0))
        flags = ACK
        if seq + n == data_end:
            flags |= PSH if n else 0
            if self._fin_queued and self.snd_max > data_end:
                flags |= FIN
        if n == 0 and not flags & FIN:
            return False
        return self._emit_segment(now, emit, seq, n, flags)

    def _send_zero_window_probe(self, now: float, emit) -> bool:
        """Probe a zero window with an empty segment one below SND.UNA: it is outside the peer's
        window, so the peer must answer with an ACK carrying its current window. Unlike a
        one-byte probe (RFC 9293 3.8.6.1) it sends nothing new, so it never interacts with the
        retransmission state (Linux probes the same way)."""
        self.stats_probes += 1
        self._probes_unanswered += 1
        self._trace("zero_window_probe", now, seq=self.snd_una - 1)
        return self._emit_segment(now, emit, self.snd_una - 1, 0, ACK)

    def _emit_segment(self, now: float, emit, seq: int, n: int, flags: int) -> bool:
        syn = flags & SYN
        rep = TcpRepr(self.local_port, self.remote_port, wire(seq),
                      wire(self.rcv_nxt) if flags & ACK else 0, flags,
                      self._window_field() if not syn else min(
                          self.config.rx_buffer - len(self._rx), 0xFFFF))
        if syn:
            rep.mss = self.mss
            if self.state is SYN_SENT and self.config.window_scaling:
                rep.wscale = self.rcv_wscale
            elif self.state is SYN_RECEIVED and self._peer_wscale_ok:
                rep.wscale = self.rcv_wscale
        if n:
            off = seq - self._tx_start
            mv = memoryview(self._tx)
            try:
                ok = emit(self, rep, mv[off:off + n])
            finally:
                mv.release()
        else:
            ok = emit(self, rep, b"")
        if not ok:
            return False
        self.stats_segments_sent += 1
        seq_len = n + (1 if flags & (SYN | FIN) else 0)
        end = seq + seq_len
        if flags & ACK:
            self._ack_now = False
            self._ack_at = None
            self._unacked_bytes = 0
        if seq_len:
            if seq < self.snd_max:
                self.stats_retransmits += 1
                self._trace("retransmit", now, seq=seq, length=n, flags=flags)
                if self._rtt_seq is not None and seq < self._rtt_seq:
                    self._rtt_seq = None  # Karn: never time a retransmitted range
            else:
                self._trace("send", now, seq=seq, length=n, flags=flags)
                if self._rtt_seq is None:
                    self._rtt_seq = end
                    self._rtt_start = now
            if end > self.snd_max:
                self.snd_max = end
            if self._rtx_at is None:
                self._rtx_at = now + self.rto
        return True

    def __repr__(self) -> str:
        from ..wire.ipv4 import ip_to_str
        rip = ip_to_str(self.remote_ip) if self.remote_ip else "*"
        return f"<TcpSocket {self.state.value} :{self.local_port} -> {rip}:{self.remote_port}>"
