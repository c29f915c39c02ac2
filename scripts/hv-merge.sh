#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-merge.sh LINUX_TREE
#
# Merge this tree into a Linux 6.12 source tree as a staging driver:
#
#   drivers/staging/hv/              Kconfig, Makefile, TODO, ABI/
#   drivers/staging/hv/<driver>/     each folder of drivers/hv
#   drivers/staging/hv/testing/echo/ the VMBus test client
#   drivers/staging/hv/include/      include/hyperv and include/linux
#   Documentation/hv/                this tree's Documentation/hv
#
# and source it from drivers/staging/Kconfig and Makefile. The kernel has a
# <linux/hyperv.h> of its own, which the kernel's include path finds before
# any folder a driver adds, so ours is renamed <linux/hv_vmbus.h> in the
# merged copy and the includes of it are rewritten; nothing else changes.
# The tree is left as it was if anything fails, and a tree that already
# holds the merge, or is not a kernel tree, is refused.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "hv-merge: $*" >&2; exit 2; }

[ $# -eq 1 ] || die "usage: hv-merge.sh LINUX_TREE"
[ -d "$1" ] || die "$1: no such folder"
linux=$(cd "$1" && pwd)

# A kernel tree: its top Makefile names the version, and staging exists.
kernel_version() {
	local v p
	v=$(sed -n 's/^VERSION = \([0-9]*\)$/\1/p' "$linux/Makefile" 2>/dev/null)
	p=$(sed -n 's/^PATCHLEVEL = \([0-9]*\)$/\1/p' "$linux/Makefile" 2>/dev/null)
	[ -n "$v" ] && [ -n "$p" ] && echo "$v.$p"
}
version=$(kernel_version) || die "$linux is not a kernel tree (no VERSION/PATCHLEVEL in its Makefile)"
for f in Kconfig drivers/staging/Kconfig drivers/staging/Makefile; do
	[ -f "$linux/$f" ] || die "$linux is not a kernel tree ($f missing)"
done
[ "$version" = 6.12 ] || die "$linux is Linux $version; this tree merges into 6.12"

staging=$linux/drivers/staging
source_line='source "drivers/staging/hv/Kconfig"'
make_line='obj-$(CONFIG_HV_VMBUS)		+= hv/'
if [ -e "$staging/hv" ] || grep -qxF "$source_line" "$staging/Kconfig" ||
   [ -e "$linux/Documentation/hv" ]; then
	die "$linux already holds the merge (drivers/staging/hv, its Kconfig line or Documentation/hv); nothing changed"
fi
grep -qx 'endif # STAGING' "$staging/Kconfig" ||
	die "$staging/Kconfig has no 'endif # STAGING' line to put the merge before"

# Our headers that share a path with one of the kernel's get a new name.
declare -A renamed=([linux/hyperv.h]=linux/hv_vmbus.h)
while IFS= read -r h; do
	[ -n "${renamed[$h]:-}" ] && continue
	[ -e "$linux/include/$h" ] &&
		die "include/$h exists in $linux too: give it a name in hv-merge.sh"
done < <(cd "$top/include" && find . -name '*.h' | sed 's|^\./||' | sort)

# Everything is built in a scratch folder inside the tree, then moved.
tmp=$(mktemp -d "$staging/.hv-merge.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
new=$tmp/hv

mkdir -p "$new/include" "$new/testing" "$new/ABI"
for d in "$top"/drivers/hv/*/; do
	cp -r "$d" "$new/"
done
cp -r "$top/tools/testing/hv/echo" "$new/testing/"
cp -r "$top/include/hyperv" "$top/include/linux" "$new/include/"
for h in "${!renamed[@]}"; do
	mv "$new/include/$h" "$new/include/${renamed[$h]}"
done
cp "$top"/Documentation/ABI/testing/* "$new/ABI/"
find "$new" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod' \
	-o -name '*.mod.c' -o -name modules.order -o -name Module.symvers \) \
	-delete

# Rewrite the includes of renamed headers, and the guard of each.
rewrite_includes() {
	local h=$1 to=$2 guard_from guard_to
	guard_from=_$(echo "${h#*/}" | tr 'a-z.' 'A-Z_')
	guard_to=_$(echo "${to#*/}" | tr 'a-z.' 'A-Z_')
	grep -rlF "<$h>" "$new" | while IFS= read -r f; do
		sed -i "s|#include <$h>|#include <$to>|" "$f"
	done
	sed -i "s/\b$guard_from\b/$guard_to/g" "$new/include/$to"
}
for h in "${!renamed[@]}"; do
	rewrite_includes "$h" "${renamed[$h]}"
done

# The top Kconfig of the staging driver: ours, exclusive with the kernel's
# own Hyper-V drivers, whose modules have the same names.
{
	echo '# SPDX-License-Identifier: GPL-2.0'
	echo '#'
	echo '# Merged by hv-merge.sh. Exclusive with CONFIG_HYPERV: the kernel'"'"'s'
	echo '# own Hyper-V drivers build modules of the same names.'
	sed -e '1{/SPDX/d}' \
	    -e 's/^menu "\(.*\)"$/menu "\1 (staging)"/' \
	    -e '/^config HV_VMBUS$/,/^$/s/^\tdepends on \(.*\)$/\tdepends on \1 \&\& HYPERV=n/' \
	    "$top/drivers/hv/Kconfig"
} > "$new/Kconfig"
grep -q "HYPERV=n" "$new/Kconfig" ||
	die "drivers/hv/Kconfig: no 'depends on' line in HV_VMBUS to make exclusive"

{
	echo '# SPDX-License-Identifier: GPL-2.0'
	echo '#'
	echo '# Merged by hv-merge.sh: our headers come from include/ here.'
	echo 'subdir-ccflags-y	+= -I$(srctree)/drivers/staging/hv/include'
	echo
	grep -v '^#' "$top/drivers/hv/Makefile"
	echo 'obj-$(CONFIG_HV_ECHO_TEST)	+= testing/echo/'
} > "$new/Makefile"

cat > "$new/TODO" <<'EOF'
Hyper-V guest drivers (VMBus core, storvsc, and the drivers that follow)
merged from an out-of-tree rewrite. Before they can leave staging:

- They replace the kernel's own drivers/hv, drivers/scsi/storvsc_drv.c
  and drivers/net/hyperv, whose modules have the same names; until then
  CONFIG_HV_VMBUS is exclusive with CONFIG_HYPERV. CONFIG_HYPERV also
  builds the platform code (arch/x86/hyperv) that the Hyper-V backend of
  hv_vmbus needs, so here only the emulated backend (HV_VMBUS_EMU, QEMU +
  tools/hv/hvhost of the out-of-tree project) is built: splitting the
  platform code from drivers/hv/hv_vmbus comes first.
- include/linux/hv_vmbus.h is include/linux/hyperv.h of the out-of-tree
  tree, renamed while the kernel's own header of that name stays.
- The sysfs ABI is described in ABI/; it moves to Documentation/ABI when
  the kernel's own vmbus ABI (Documentation/ABI/stable/sysfs-bus-vmbus)
  goes.
- Documentation/hv describes the drivers, the emulated host and the tests.

Please send patches to the maintainers of the out-of-tree project.
EOF

# The parent Kconfig and Makefile, written aside and moved into place:
# never edited in place, since the tree may be a hard-linked copy.
awk -v line="$source_line" '
	$0 == "endif # STAGING" { print line; print "" }
	{ print }
' "$staging/Kconfig" > "$tmp/Kconfig"
{ cat "$staging/Makefile"; echo "$make_line"; } > "$tmp/Makefile"

cp -r "$top/Documentation/hv" "$tmp/doc"

mv "$new" "$staging/hv"
mv "$tmp/doc" "$linux/Documentation/hv"
mv "$tmp/Kconfig" "$staging/Kconfig"
mv "$tmp/Makefile" "$staging/Makefile"
echo "hv-merge: merged into $linux as drivers/staging/hv (Linux $version)"
