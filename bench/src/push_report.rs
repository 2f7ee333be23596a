//! What push-load measures and prints: latency histograms, the server's
//! memory (VmRSS) and CPU time from /proc (Linux).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::time::Instant;

/// Clock ticks per second of /proc/*/stat on Linux.
const TICKS_PER_SECOND: f64 = 100.0;

/// The moments of one push after its start (the verify call).
pub struct Moments {
    pub verified: Instant,
    /// The request arrived on the device's stream.
    pub seen: Instant,
    pub answer_sent: Instant,
    pub answered: Instant,
    /// The client's long-poll returned `accepted`.
    pub accepted: Instant,
}

/// Latencies in microseconds: the whole push and its parts.
pub struct Latencies {
    pub total: Histogram<u64>,
    verify: Histogram<u64>,
    delivery: Histogram<u64>,
    answer: Histogram<u64>,
    wake: Histogram<u64>,
}

impl Latencies {
    pub fn new() -> Self {
        let histogram =
            || Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid histogram bounds");
        Self {
            total: histogram(),
            verify: histogram(),
            delivery: histogram(),
            answer: histogram(),
            wake: histogram(),
        }
    }

    pub fn record(&mut self, start: Instant, m: &Moments) {
        let micros = |from: Instant, to: Instant| {
            (to.saturating_duration_since(from).as_micros() as u64).max(1)
        };
        let _ = self.total.record(micros(start, m.accepted));
        let _ = self.verify.record(micros(start, m.verified));
        let _ = self.delivery.record(micros(start, m.seen));
        let _ = self.answer.record(micros(m.answer_sent, m.answered));
        let _ = self.wake.record(micros(m.answer_sent, m.accepted));
    }

    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<34}{:>9}{:>9}{:>9}{:>9}\n",
            "latency (ms)", "p50", "p90", "p99", "max"
        );
        let rows = [
            ("end to end: verify → accepted", &self.total),
            ("  verify call (push sent)", &self.verify),
            ("  verify sent → event on stream", &self.delivery),
            ("  device's answer call (signed)", &self.answer),
            ("  answer sent → long-poll returns", &self.wake),
        ];
        for (name, h) in rows {
            let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
            let _ = writeln!(
                out,
                "{name:<34}{:>9.2}{:>9.2}{:>9.2}{:>9.2}",
                ms(0.5),
                ms(0.9),
                ms(0.99),
                h.max() as f64 / 1000.0
            );
        }
        out
    }
}

/// Server memory (KiB) at the moments the report compares.
#[derive(Default)]
pub struct Memory {
    pub start: Option<u64>,
    pub before_streams: Option<u64>,
    pub idle: Option<u64>,
    pub after_pushes: Option<u64>,
    pub after_close: Option<u64>,
    pub peak: Option<u64>,
}

impl Memory {
    pub fn text(&self, n: usize) -> String {
        let show = |kib: Option<u64>| kib.map_or("?".into(), |k| format!("{:.1} MiB", mib(k)));
        let mut out = format!(
            "server RSS: {} at start, {} before opening streams, {} with {n} streams idle, \
             {} after the pushes, {} after closing the streams; peak {}\n",
            show(self.start),
            show(self.before_streams),
            show(self.idle),
            show(self.after_pushes),
            show(self.after_close),
            show(self.peak)
        );
        if let (Some(before), Some(idle)) = (self.before_streams, self.idle) {
            let per_stream = idle.saturating_sub(before) as f64 / n as f64;
            let _ = writeln!(
                out,
                "RSS per 10,000 idle streams: {:.1} MiB ({per_stream:.2} KiB a stream); \
                 extrapolated linearly (not measured) to 100,000 streams: {:.0} MiB",
                per_stream * 10_000.0 / 1024.0,
                mib(before) + per_stream * 100_000.0 / 1024.0
            );
        }
        if let Some(own) = own_rss_kib() {
            let _ = writeln!(out, "generator RSS: {:.1} MiB", mib(own));
        }
        out
    }
}

/// One phase of pushes: how it was driven and what it cost.
pub struct Phase {
    pub name: String,
    pub elapsed: Duration,
    pub server_cpu: Option<Duration>,
    pub own_cpu: Option<Duration>,
    /// Busy CPU time of the whole machine: what is neither server nor generator is other work.
    /// CPU time of the database's processes (--database-process), counted apart.
    pub database_cpu: Option<Duration>,
    pub machine_cpu: Option<Duration>,
    pub warmup: u64,
}

impl Phase {
    pub fn text(
        &self,
        done: u64,
        failures: &BTreeMap<String, (u64, String)>,
        latencies: &Latencies,
    ) -> String {
        let failed: u64 = failures.values().map(|(count, _)| count).sum();
        let seconds = self.elapsed.as_secs_f64();
        let mut out = format!(
            "\n== {} ==\npushes: {done} driven, {} accepted, {failed} failed in {seconds:.2} s: \
             {:.1} pushes/s; {} measured (the first {} warm up)\n",
            self.name,
            done - failed,
            done as f64 / seconds,
            latencies.total.len(),
            self.warmup,
        );
        for (kind, (count, example)) in failures {
            let _ = writeln!(out, "  {count} × {kind}\n      e.g. {example}");
        }
        out.push_str(&latencies.table());
        let cpu =
            |c: Option<Duration>| c.map_or("?".into(), |c| format!("{:.1} s", c.as_secs_f64()));
        let database = self.database_cpu.unwrap_or_default();
        let others = match (self.machine_cpu, self.server_cpu, self.own_cpu) {
            (Some(all), Some(server), Some(own)) => cpu(Some(
                all.saturating_sub(server + own).saturating_sub(database),
            )),
            _ => "?".into(),
        };
        let database = match self.database_cpu {
            Some(_) => format!(", database {}", cpu(self.database_cpu)),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "CPU: server {}, generator {}{database}, other processes {others}, in {seconds:.1} s of wall time on {} cores",
            cpu(self.server_cpu),
            cpu(self.own_cpu),
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
        out
    }
}

/// Resident memory of a process, in KiB (VmRSS).
pub fn rss_kib(pid: u32) -> Option<u64> {
    status_field(&format!("/proc/{pid}/status"), "VmRSS:")
}

/// The most a process held resident so far, in KiB (VmHWM).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    status_field(&format!("/proc/{pid}/status"), "VmHWM:")
}

pub fn own_rss_kib() -> Option<u64> {
    status_field("/proc/self/status", "VmRSS:")
}

fn status_field(path: &str, name: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

/// User plus system CPU time of a process so far (`self` for this one).
pub fn cpu_time(pid: &str) -> Option<Duration> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(ticks as f64 / TICKS_PER_SECOND))
}

/// CPU time so far of the processes whose command line holds `text`: the
/// PostgreSQL backends serving one database show its name there.
pub fn cpu_time_of_processes(text: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        // This process names the database on its own command line.
        if pid == std::process::id().to_string() {
            continue;
        }
        let command = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&command).contains(text) {
            total += cpu_time(pid).unwrap_or_default();
        }
    }
    Some(total)
}

/// Busy CPU time of the whole machine so far, all cores (everything but idle and iowait).
pub fn machine_busy() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<u64> = text
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .map_while(|t| t.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    let busy: u64 = ticks.iter().take(3).sum::<u64>() + ticks.iter().skip(5).take(3).sum::<u64>();
    Some(Duration::from_secs_f64(busy as f64 / TICKS_PER_SECOND))
}

/// The soft limit on open files of this process.
pub fn open_files_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_own_memory_and_cpu() {
        assert!(super::own_rss_kib().unwrap() > 0);
        assert!(super::cpu_time("self").is_some());
        assert!(super::open_files_limit().unwrap() > 0);
    }
}
