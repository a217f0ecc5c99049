"""Named per-interface counters. Every dropped frame increments exactly one drop counter."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class InterfaceStats:
    rx_frames: int = 0
    rx_bytes: int = 0
    tx_frames: int = 0
    tx_bytes: int = 0
    tx_no_buffer: int = 0          # device had no TX buffer; the packet was not sent
    tx_no_route: int = 0
    tx_too_big: int = 0
    # link layer
    eth_truncated: int = 0
    eth_not_for_us: int = 0
    eth_unknown_type: int = 0
    # ARP
    arp_rx: int = 0
    arp_malformed: int = 0
    arp_ignored: int = 0
    arp_requests_sent: int = 0
    arp_requests_delegated: int = 0   # resolutions asked of the host's neighbour table (the OS)
    arp_replies_sent: int = 0
    arp_queue_drops: int = 0       # waiting packets dropped (queue full or resolution failed)
    arp_resolution_failures: int = 0
    # IPv4
    ip_rx: int = 0
    ip_malformed: int = 0
    ip_bad_checksum: int = 0
    ip_not_for_us: int = 0
    ip_bad_source: int = 0
    ip_ttl_zero: int = 0
    ip_unknown_protocol: int = 0
    ip_fragments: int = 0
    ip_reassembled: int = 0
    ip_reasm_drops: int = 0        # fragments dropped by limits, overlaps or bad offsets
    ip_reasm_timeouts: int = 0
    # ICMP
    icmp_rx: int = 0
    icmp_malformed: int = 0
    icmp_bad_checksum: int = 0
    icmp_echo_replies: int = 0
    icmp_echo_replies_rx: int = 0  # replies to our own echo requests
    icmp_unreachable_rx: int = 0
    icmp_unreachable_sent: int = 0
    icmp_rate_limited: int = 0
    icmp_ignored: int = 0
    # UDP
    udp_rx: int = 0
    udp_malformed: int = 0
    udp_bad_checksum: int = 0
    udp_no_socket: int = 0
    udp_rx_queue_drops: int = 0
    # TCP
    tcp_rx: int = 0
    tcp_malformed: int = 0
    tcp_bad_checksum: int = 0
    tcp_no_socket: int = 0
    tcp_rst_sent: int = 0
    tcp_listen_overflows: int = 0
    tcp_ooo_drops: int = 0
    # a bug, not a hostile frame: an exception escaped a handler (the frame is dropped)
    rx_internal_errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def nonzero(self) -> dict[str, int]:
        return {k: v for k, v in self.as_dict().items() if v}
