# SPDX-License-Identifier: GPL-2.0
"""vlan-ping.py IFACE SRC_MAC DST_MAC SRC_IP DST_IP VID

Sends 5 ICMP echo requests tagged with 802.1Q VLAN VID out of IFACE from a
raw packet socket, and counts the echo replies that come back tagged with
VID (the tag inline, or taken out by the kernel and given as auxdata).
Exits 0 when at least 3 came back. For hosts whose kernel has no 8021q.
"""
import socket
import struct
import sys
import time

SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
ICMP_ID = 0x4856


def mac(text):
    return bytes.fromhex(text.replace(":", ""))


def inet_sum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def request(src_mac, dst_mac, src_ip, dst_ip, vid, seq):
    icmp = struct.pack("!BBHHH", 8, 0, 0, ICMP_ID, seq) + b"hv-vlan." * 8
    icmp = icmp[:2] + struct.pack("!H", inet_sum(icmp)) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), seq, 0, 64,
                     1, 0, socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    ip = ip[:10] + struct.pack("!H", inet_sum(ip)) + ip[12:]
    return dst_mac + src_mac + struct.pack("!HH", 0x8100, vid) + \
        b"\x08\x00" + ip + icmp


def tag_and_ip(data, anc):
    """The frame's VLAN id (None if untagged) and its IPv4 packet."""
    for level, kind, raw in anc:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(raw) >= 20:
            status, _, _, _, _, tci, _ = struct.unpack("IIIHHHH", raw[:20])
            if status & TP_STATUS_VLAN_VALID and data[12:14] == b"\x08\x00":
                return tci & 0xFFF, data[14:]
    if data[12:14] == b"\x81\x00" and data[16:18] == b"\x08\x00":
        return struct.unpack("!H", data[14:16])[0] & 0xFFF, data[18:]
    return None, b""


def is_reply(ip, src_ip, seq):
    if len(ip) < 28 or ip[9] != 1 or ip[12:16] != socket.inet_aton(src_ip):
        return False
    icmp = ip[(ip[0] & 0xF) * 4:]
    return len(icmp) >= 8 and icmp[0] == 0 and \
        struct.unpack("!HH", icmp[4:8]) == (ICMP_ID, seq)


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    iface, src_mac, dst_mac, src_ip, dst_ip, vid = sys.argv[1:]
    vid = int(vid)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    sock.bind((iface, 0))
    sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    sock.settimeout(0.2)
    replies = 0
    for seq in range(1, 6):
        sock.send(request(mac(src_mac), mac(dst_mac), src_ip, dst_ip, vid, seq))
        end = time.time() + 2
        while time.time() < end:
            try:
                data, anc, _, addr = sock.recvmsg(65536, socket.CMSG_SPACE(20))
            except socket.timeout:
                continue
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            tag, ip = tag_and_ip(data, anc)
            if tag == vid and is_reply(ip, dst_ip, seq):
                replies += 1
                break
    print("%d of 5 tagged echo requests answered with VLAN %d" % (replies, vid))
    sys.exit(0 if replies >= 3 else 1)


main()
