"""The kernel's SYN retransmission schedule, written independently of the C
code (src/analysis/ladder.c) from the kernel sources and the lab notes:
tcp_write_timeout() gives up when tcp_syn_retries + tcp_syn_linear_timeouts
retransmissions are done or the classic budget (2^(retries+1) - 1) s has
passed; the first `linear` timers are 1 s, then they double up to 120 s;
each timer runs late by 1..granularity jiffies of its timer-wheel level
(kernel/time/timer.c: 64 buckets a level, granularity 8^level)."""
import gzip
import os


def kernel_hz():
    """CONFIG_HZ of the running kernel, or None."""
    for path in ("/proc/config.gz", f"/boot/config-{os.uname().release}"):
        try:
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt") as f:
                for line in f:
                    if line.startswith("CONFIG_HZ="):
                        return int(line.split("=", 1)[1])
        except OSError:
            continue
    return None


def _late_jiffies(delay, mean):
    level, start = 0, 63
    while delay >= start and level < 8:
        level += 1
        start = 63 << (3 * level)
    if level == 0:
        return 0.0
    gran = 8 ** level
    return (gran + 1) / 2 if mean else float(gran)


def syn_schedule(retries, linear, hz=None):
    """(SYN send times, give-up expected, give-up nominal, give-up latest)."""
    hz = hz or kernel_hz() or 250
    t = t_mean = t_max = 0.0
    rto, count, times = 1.0, 0, [0.0]
    budget = 2 ** (retries + 1) - 1
    while True:
        jiffies = -(-rto * hz // 1)
        t += rto
        t_mean += rto + _late_jiffies(jiffies, True) / hz
        t_max += rto + _late_jiffies(jiffies, False) / hz
        if count >= retries + linear or t_mean >= budget - 1e-9:
            return times, t_mean, t, t_max
        count += 1
        times.append(t)
        if count > linear:
            rto = min(rto * 2, 120.0)
