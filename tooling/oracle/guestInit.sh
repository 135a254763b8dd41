#!/bin/sh
# /init of the oracle's busybox initramfs (tooling/oracle/oracleInitramfs.ts packs it). Tracing was
# switched on from boot by the kernel command line (trace_event=, kprobe_event=); this loads the
# drivers, reads the disk with direct IO between two trace markers, and writes everything out
# through the output console as one gzip stream in base64 between "==pcilab:" markers, then
# powers off. Parameters come from the command line: pcilab.dev, .bs, .count, .mods, .out.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
T=/sys/kernel/tracing
mount -t tracefs tracefs $T 2>/dev/null || T=/sys/kernel/debug/tracing
arg() { sed -n "s/.*pcilab\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
DEV=$(arg dev); BS=$(arg bs); COUNT=$(arg count); OUT=$(arg out)
# Where the command line could not size the buffer (ppc64), grow it now (growing keeps what is in it).
[ "$(cat $T/buffer_size_kb)" -lt 32768 ] 2>/dev/null && echo 32768 > $T/buffer_size_kb
# Only the IOTLB invalidation descriptors of intel_iommu:qi_submit (type 2; waits and interrupt-entry
# invalidations are not compared), and no flags column: the trace is read back through a console.
echo 'qw0 & 2' > $T/events/intel_iommu/qi_submit/filter 2>/dev/null
echo 0 > $T/options/irq-info
echo 1 > $T/tracing_on
echo "pcilab: modules" > $T/trace_marker
for m in $(arg mods | tr , ' '); do insmod /lib/pcilab/$m.ko 2>> /tmp/insmod.txt; done
i=0; while [ ! -b /dev/$DEV ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
stats() { for f in /sys/kernel/debug/pci/*/statistics; do [ -f "$f" ] && { echo "$f"; cat "$f"; }; done; }
stats > /tmp/stats_before.txt 2>&1
echo "pcilab: dd begin" > $T/trace_marker
dd if=/dev/$DEV of=/dev/null bs=$BS count=$COUNT iflag=direct 2> /tmp/dd.txt
echo "pcilab: dd end" > $T/trace_marker
echo 0 > $T/tracing_on
stats > /tmp/stats_after.txt 2>&1
{
  echo "==pcilab:uname"; uname -r
  echo "==pcilab:cmdline"; cat /proc/cmdline
  echo "==pcilab:insmod"; cat /tmp/insmod.txt 2>/dev/null
  echo "==pcilab:dd"; cat /tmp/dd.txt
  echo "==pcilab:queue"
  for f in max_hw_sectors_kb max_sectors_kb max_segments max_segment_size; do echo "$f $(cat /sys/block/$DEV/queue/$f 2>/dev/null)"; done
  echo "==pcilab:groups"
  for g in /sys/kernel/iommu_groups/*; do [ -d "$g" ] && echo "$(basename $g) $(cat $g/type 2>/dev/null) $(ls $g/devices | tr '\n' ' ')"; done
  echo "==pcilab:reserved"
  for g in /sys/kernel/iommu_groups/*; do [ -f "$g/reserved_regions" ] && sed "s/^/$(basename $g) /" $g/reserved_regions; done
  echo "==pcilab:iomem"; cat /proc/iomem
  echo "==pcilab:devices"
  for d in /sys/bus/pci/devices/*; do [ -d "$d" ] && echo "$(basename $d) $(cat $d/vendor) $(cat $d/device) $(basename $(readlink $d/driver) 2>/dev/null)"; done
  echo "==pcilab:stats_before"; cat /tmp/stats_before.txt
  echo "==pcilab:stats_after"; cat /tmp/stats_after.txt
  echo "==pcilab:kprobes"; cat $T/kprobe_events 2>/dev/null
  echo "==pcilab:kprobe_profile"; cat $T/kprobe_profile 2>/dev/null
  echo "==pcilab:dmesg"; dmesg
  echo "==pcilab:trace"; cat $T/trace
  echo "==pcilab:end"
} | gzip -1 -c | base64 > /tmp/out.b64
echo "==pcilab:begin" > $OUT
cat /tmp/out.b64 > $OUT
echo "==pcilab:done" > $OUT
# The host stops the machine once it has read "==pcilab:done"; this is the fallback.
sleep 2
poweroff -f
