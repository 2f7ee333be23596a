//! The `[audit]`, `[audit.syslog]` and `[audit.file]` sections: how long the
//! trail is kept, and where it is streamed as it grows.

use std::path::PathBuf;

use super::reader::Reader;

/// `[audit]`.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Records older than this are pruned; 0 keeps them for ever.
    pub retention_days: u32,
    /// Records waiting for each sink before the queue counts them dropped
    /// (they are read again from the store).
    pub queue: usize,
    pub syslog: Option<SyslogConfig>,
    pub file: Option<FileSinkConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
}

/// `[audit.syslog]`: RFC 5424 to a collector; off unless `address` is set.
#[derive(Debug, Clone)]
pub struct SyslogConfig {
    pub address: String,
    pub transport: Transport,
    /// The numeric facility (`auth` = 4, `authpriv` = 10, `local0` = 16 ...).
    pub facility: u8,
    pub hostname: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub server_name: Option<String>,
}

/// `[audit.file]`: JSON lines appended to a file; off unless `path` is set.
#[derive(Debug, Clone)]
pub struct FileSinkConfig {
    pub path: PathBuf,
    pub max_bytes: u64,
    pub keep: u32,
}

const FACILITIES: &[(&str, u8)] = &[
    ("kern", 0),
    ("user", 1),
    ("daemon", 3),
    ("auth", 4),
    ("syslog", 5),
    ("authpriv", 10),
    ("local0", 16),
    ("local1", 17),
    ("local2", 18),
    ("local3", 19),
    ("local4", 20),
    ("local5", 21),
    ("local6", 22),
    ("local7", 23),
];

pub(super) fn read(r: &mut Reader) -> AuditConfig {
    AuditConfig {
        retention_days: r.int("audit.retention_days", 0, 36_500) as u32,
        queue: r.int("audit.queue", 100, 10_000_000) as usize,
        syslog: syslog(r),
        file: file(r),
    }
}

fn syslog(r: &mut Reader) -> Option<SyslogConfig> {
    let transport = match r
        .one_of("audit.syslog.transport", &["udp", "tcp", "tls"])
        .as_str()
    {
        "udp" => Transport::Udp,
        "tls" => Transport::Tls,
        _ => Transport::Tcp,
    };
    let names: Vec<&str> = FACILITIES.iter().map(|(n, _)| *n).collect();
    let facility_name = r.one_of("audit.syslog.facility", &names);
    let facility = FACILITIES
        .iter()
        .find(|(n, _)| *n == facility_name)
        .map_or(4, |(_, f)| *f);
    let address = r.text("audit.syslog.address")?;
    if !address.contains(':') {
        r.problems.push(format!(
            "audit.syslog.address: '{address}' needs a port, e.g. siem.example.org:6514"
        ));
    }
    Some(SyslogConfig {
        address,
        transport,
        facility,
        hostname: r.text("audit.syslog.hostname"),
        ca_file: r.path("audit.syslog.ca_file"),
        server_name: r.text("audit.syslog.server_name"),
    })
}

fn file(r: &mut Reader) -> Option<FileSinkConfig> {
    let max_mb = r.int("audit.file.max_mb", 1, 1_000_000) as u64;
    let keep = r.int("audit.file.keep", 1, 1000) as u32;
    Some(FileSinkConfig {
        path: r.path("audit.file.path")?,
        max_bytes: max_mb * 1024 * 1024,
        keep,
    })
}
