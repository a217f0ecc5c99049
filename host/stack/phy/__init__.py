"""Devices the interface drives: token-shaped receive/transmit (see ``device``)."""

from .device import Device, DeviceCapabilities, RxToken, TxToken
from .pcap import FaultInjector, PcapWriter
from .pipe import Impairments, LinkStats, PipeDevice
from .queue import QueueDevice
from .tap import TapDevice

__all__ = [
    "Device", "DeviceCapabilities", "FaultInjector", "Impairments", "LinkStats", "PcapWriter",
    "PipeDevice", "QueueDevice", "RxToken", "TapDevice", "TxToken",
]
