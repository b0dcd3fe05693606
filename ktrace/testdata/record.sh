#!/bin/sh
# record.sh FS OUT: records the trace fixtures of the ktrace tests. As root it
# makes a 1 GiB image in /tmp on a loop device (direct I/O), makes FS (xfs, ext4
# or btrfs) on it, mounts it, runs a mixed workload in one fio process (buffered
# random reads and writes, punches and mmap faults on one file) while a private
# tracefs instance records lock contention with kernel stacks and
# balance_dirty_pages, keeps about 110 KB of the trace from its middle in OUT
# (after a "# tgid=" line naming fio's process) and then the trace's
# balance_dirty_pages lines of fio's threads (rarer), and tears everything down on
# the way out. The dirty limits are lowered to 16 MiB for the workload, so that
# writers are throttled, and restored afterwards.
set -eu
fs=$1 out=$2
# The dirty sysctls are host-wide: take the lock rwbench's real-filesystem
# targets hold while they change them, for the whole recording.
mkdir -p /run/rwbench
exec 9>/run/rwbench/lock
flock 9
work=$(mktemp -d /tmp/ktrace-record.XXXXXX)
tfs=$work/tracefs mnt=$work/mnt inst=""
loop="" reader="" dirty=""
cleanup() {
	set +e
	[ -n "$reader" ] && kill "$reader" 2>/dev/null && wait "$reader"
	[ -n "$inst" ] && { echo 0 >"$inst/tracing_on"; echo 0 >"$inst/events/enable"; echo >"$inst/events/lock/contention_begin/trigger" 2>/dev/null || echo '!stacktrace' >"$inst/events/lock/contention_begin/trigger"; rmdir "$inst"; }
	mountpoint -q "$tfs" && umount "$tfs"
	mountpoint -q "$mnt" && umount "$mnt"
	[ -n "$loop" ] && losetup -d "$loop"
	# Writing a ratio zeroes the bytes and the other way round: restore the one that was set.
	if [ -n "$dirty" ]; then
		if [ "$dirty" = 0 ]; then sysctl -q vm.dirty_ratio="$ratio"; else sysctl -q vm.dirty_bytes="$dirty"; fi
		if [ "$bg" = 0 ]; then sysctl -q vm.dirty_background_ratio="$bgratio"; else sysctl -q vm.dirty_background_bytes="$bg"; fi
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
mkdir "$tfs" "$mnt"
truncate -s 1G "$work/img"
loop=$(losetup -f --show --direct-io=on "$work/img")
case $fs in
xfs) mkfs.xfs -q "$loop" ;;
ext4) mkfs.ext4 -q "$loop" ;;
btrfs) mkfs.btrfs -q "$loop" ;;
*) echo "record.sh: unknown filesystem $fs (want xfs, ext4 or btrfs)" >&2; exit 2 ;;
esac
mount "$loop" "$mnt"
head -c 512M /dev/zero >"$mnt/f"
sync
ratio=$(sysctl -n vm.dirty_ratio) bgratio=$(sysctl -n vm.dirty_background_ratio)
bg=$(sysctl -n vm.dirty_background_bytes)
dirty=$(sysctl -n vm.dirty_bytes)
sysctl -q vm.dirty_bytes=16777216 vm.dirty_background_bytes=8388608
mount -t tracefs nodev "$tfs"
inst=$tfs/instances/rwbench-record-$$
mkdir "$inst"
echo mono >"$inst/trace_clock"
echo 1 >"$inst/options/record-tgid"
echo 'stacktrace' >"$inst/events/lock/contention_begin/trigger"
echo 1 >"$inst/events/lock/contention_begin/enable"
echo 1 >"$inst/events/lock/contention_end/enable"
echo 1 >"$inst/events/writeback/balance_dirty_pages/enable"
echo 8192 >"$inst/buffer_size_kb"
echo 1 >"$inst/tracing_on"
cat "$inst/trace_pipe" >"$work/trace" &
reader=$!
fio --thread --directory="$mnt" --filename=f --size=512m --bs=8k \
	--time_based --runtime=4 --group_reporting --output=/dev/null \
	--name=r --rw=randread --numjobs=4 \
	--name=w --rw=randwrite --numjobs=4 \
	--name=p --ioengine=falloc --rw=randtrim --bs=64k --numjobs=1 \
	--name=m --ioengine=mmap --rw=randread --numjobs=2 &
fio=$!
wait $fio
echo 0 >"$inst/tracing_on"
sleep 1
kill $reader
wait $reader || true
reader=""
size=$(stat -c %s "$work/trace")
{
	echo "# tgid=$fio"
	tail -c +$((size / 2)) "$work/trace" | sed 1d | sed -n '/^ *[^ =]/,$p' | head -c 110000 | sed '$d' | grep -v balance_dirty_pages
	grep "( *$fio) .*balance_dirty_pages" "$work/trace" | head -60
} >"$out"
