//! CPU time used by a process, from /proc (Linux): on a small machine the
//! load generator competes with the server for the same cores.

use std::time::Duration;

/// Clock ticks per second of /proc/*/stat on Linux.
const TICKS_PER_SECOND: f64 = 100.0;

/// User plus system CPU time of this process so far; None off Linux.
pub fn used_by_self() -> Option<Duration> {
    read("/proc/self/stat")
}

/// The same for another process of this machine, such as the server.
pub fn used_by(pid: u32) -> Option<Duration> {
    read(&format!("/proc/{pid}/stat"))
}

fn read(path: &str) -> Option<Duration> {
    parse_stat(&std::fs::read_to_string(path).ok()?)
}

/// Busy CPU time of the whole machine so far, all cores (user, nice,
/// system, irq, softirq, steal: everything but idle and iowait).
pub fn machine_busy() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    parse_machine(text.lines().next()?)
}

fn parse_machine(line: &str) -> Option<Duration> {
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map_while(|t| t.parse().ok())
        .collect();
    let (user, nice, system) = (ticks.first()?, ticks.get(1)?, ticks.get(2)?);
    let extra: u64 = ticks.iter().skip(5).take(3).sum();
    Some(Duration::from_secs_f64(
        (user + nice + system + extra) as f64 / TICKS_PER_SECOND,
    ))
}

/// CPU time used between two readings, when both were possible.
pub fn spent(before: Option<Duration>, after: Option<Duration>) -> Option<Duration> {
    after
        .zip(before)
        .map(|(after, before)| after.saturating_sub(before))
}

/// Fields 14 and 15 (utime, stime) come after the command name in parentheses.
fn parse_stat(text: &str) -> Option<Duration> {
    let after_name = text.get(text.rfind(')')? + 1..)?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_secs_f64(
        (user + system) as f64 / TICKS_PER_SECOND,
    ))
}

#[cfg(test)]
mod tests {
    use super::parse_stat;
    use std::time::Duration;

    #[test]
    fn reads_user_and_system_ticks() {
        let line = "42 (verify load) S 1 42 42 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 3 0";
        assert_eq!(parse_stat(line), Some(Duration::from_secs(3)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn machine_busy_leaves_out_idle_and_iowait() {
        let line = "cpu  100 20 80 9000 50 10 10 30 0 0";
        assert_eq!(
            super::parse_machine(line),
            Some(Duration::from_secs(2) + Duration::from_millis(500))
        );
    }
}
