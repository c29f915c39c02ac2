# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The distro tier's host side of a boot (bash, run by hv-boot.sh beside
# the guest, after the values it needs: ROLE, NS, GUEST4, DATA, SCSI_ID,
# XFER). Once the guest's NIC is up: ping it and move a file to it and
# back over TCP (the guest's hv-put and hv-get sockets), all inside the
# test's network namespace; the sha256 must match at both ends. When ROLE
# is hotadd, attach the data disk through the control socket.
. "$HV_TOP/tools/testing/hv/boot/lib.sh"

in_ns() { ip netns exec "$NS" "$@"; }
# tcp_put FILE PORT / tcp_get PORT FILE: one connection each.
tcp_put() {
	in_ns python3 -c 'import socket,sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=60)
s.sendall(open(sys.argv[3], "rb").read())
s.shutdown(socket.SHUT_WR)
s.recv(1)' "$GUEST4" "$2" "$1"
}
tcp_get() {
	in_ns python3 -c 'import socket,sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=60)
with open(sys.argv[3], "wb") as f:
    while True:
        b = s.recv(65536)
        if not b:
            break
        f.write(b)' "$GUEST4" "$1" "$2"
}
put_until_there() {	# the guest keeps the file once the upload ended
	tcp_put "$XFER" 5001 && sleep 1 && tcp_get 5002 "$XFER.back" &&
		cmp -s "$XFER" "$XFER.back"
}

if hv_marker net-ready 900; then
	check "the host pings the guest" in_ns ping -c 3 -W 5 "$GUEST4"
	check "a file to the guest's TCP service and back is unchanged" \
		put_until_there
	hv_wait_console 'HV-GUEST: xfer-sha256' 150
	sum=$(grep -a -o 'HV-GUEST: xfer-sha256 [0-9a-f]*' "$HV_CONSOLE" | awk '{print $3}')
	check_eq "the guest's sha256 of the file is the host's" \
		"$(sha256sum < "$XFER" | cut -d' ' -f1)" "$sum"
fi
if [ "$ROLE" = hotadd ] && hv_marker hotadd 300; then
	check "disk add of the data disk" hv_ctl disk add "$DATA,lun=1" "$SCSI_ID"
fi
