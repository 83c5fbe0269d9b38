#!/bin/busybox sh
# PID 1 of the capture guest (packed into the initramfs by capture-qemu.sh). It snapshots /proc,
# enables the kmem page events with the stacktrace option, runs a small workload, and writes the
# trace to the second serial port and the /proc snapshots to the third.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
T=/sys/kernel/tracing
snap() { # snap TAG: every /proc file the importer and the replay read, between markers
  for f in buddyinfo pagetypeinfo zoneinfo meminfo vmstat; do
    echo "==> $1/$f <=="; cat /proc/$f
  done
}
{ echo "==> start/iomem <=="; cat /proc/iomem; } > /dev/ttyS2
snap start > /dev/ttyS2
# 32 MiB per CPU: large enough that this workload loses no event (the header's entries-in-buffer
# equals entries-written, which the replay test checks).
echo 32768 > $T/buffer_size_kb
echo 1 > $T/options/stacktrace
for e in mm_page_alloc mm_page_free mm_page_free_batched mm_page_pcpu_drain mm_page_alloc_zone_locked mm_page_alloc_extfrag; do
  echo 1 > $T/events/kmem/$e/enable
done
echo "=== workload start"
# fork/exec churn
i=0; while [ $i -lt 60 ]; do /bin/true; i=$((i+1)); done
# anonymous memory: a shell string of ~8 MiB, built and dropped twice
for r in 1 2; do x=$(head -c 8000000 /dev/zero | tr '\0' a); echo ${#x} > /dev/null; unset x; done
# file (tmpfs/shmem) memory: written, read back, partly removed, so some stays
dd if=/dev/zero of=/tmp/keep bs=1M count=6 2>/dev/null
dd if=/dev/zero of=/tmp/f bs=1M count=12 2>/dev/null; cat /tmp/f > /dev/null; rm /tmp/f
# memory pressure: 80 MiB of tmpfs (movable) fills the free movable pageblocks, then 150 sleeping
# processes need kernel stacks and page tables (unmovable), which fall back into movable
# pageblocks (mm_page_alloc_extfrag); then all of it goes again
dd if=/dev/zero of=/tmp/big bs=1M count=80 2>/dev/null
i=0; while [ $i -lt 150 ]; do sleep 30 & i=$((i+1)); done
sleep 1
kill $(jobs -p) 2>/dev/null; wait 2>/dev/null
rm /tmp/big
sync; echo 3 > /proc/sys/vm/drop_caches
# one compaction of every zone
echo 1 > /proc/sys/vm/compact_memory
echo 0 > $T/tracing_on
echo "=== workload end"
snap end > /dev/ttyS2
cat $T/trace > /dev/ttyS1
echo "=== trace written"
poweroff -f
