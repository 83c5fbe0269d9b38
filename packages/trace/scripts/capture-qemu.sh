#!/usr/bin/env bash
# Capture a real kernel's page allocation trace for fixtures/trace-6.1-qemu (see its README).
# Debian's stock 6.1 kernel boots under QEMU TCG (no KVM needed) with a busybox initramfs whose
# init (guest-init.sh) enables the kmem events with stack traces, runs a workload and writes the
# trace and /proc snapshots out over serial ports.
# Needs: apt-get (linux-image-amd64, qemu-system-x86, busybox-static, cpio), node (brotli).
# Usage: capture-qemu.sh OUT_DIR
set -euo pipefail
out=${1:?usage: capture-qemu.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for p in qemu-system-x86 busybox-static cpio; do
  dpkg -s "$p" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p"
done
cd "$work"
img=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
apt-get download "$img" >/dev/null 2>&1
dpkg-deb -x ./"$img"_*.deb root
vmlinuz=$(ls root/boot/vmlinuz-*)
mkdir -p initramfs/{bin,proc,sys,dev,tmp}
cp /usr/bin/busybox initramfs/bin/
cp "$here/guest-init.sh" initramfs/init
chmod +x initramfs/init
(cd initramfs && find . | cpio -o -H newc 2>/dev/null | gzip -1) > initramfs.gz
timeout 900 qemu-system-x86_64 -accel tcg -m 256M -smp 2 -display none -monitor none -no-reboot \
  -kernel "$vmlinuz" -initrd initramfs.gz -append "console=ttyS0 quiet panic=-1" \
  -serial file:console.log -serial file:trace.txt -serial file:proc.txt
grep -q "=== trace written" console.log || { echo "capture failed; console:"; cat console.log; exit 1; }
mkdir -p "$out"
# Serial output ends lines with CRLF when a tty is involved; keep the trace exactly as read.
tr -d '\r' < trace.txt > "$out/trace.txt"
tr -d '\r' < proc.txt | awk -v dir="$out" '/^==> .* <==$/ { f = $2; gsub("/", "-", f); next } f { print > (dir "/" f) }'
tr -d '\r' < console.log > "$out/console.log"
node -e '
const fs = require("fs"), zlib = require("zlib");
const src = process.argv[1];
const buf = zlib.brotliCompressSync(fs.readFileSync(src), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_LGWIN]: 24 } });
fs.writeFileSync(src + ".br", buf); fs.unlinkSync(src);
' "$out/trace.txt"
echo "kernel: $img ($(basename "$vmlinuz"))" > "$out/kernel.txt"
ls -la "$out"
