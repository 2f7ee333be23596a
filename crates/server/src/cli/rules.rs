//! `countersign rule add|list|show|update|remove|move|test`: the sign-in
//! rules kept in the store (the same the console's rules page and
//! `/api/v1/rules` edit); running servers obey within seconds.

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use clap::Subcommand;
use countersign_domain::rules::{NetworkOf, Outcome, Rule, Strength};
use countersign_domain::signin::{Attempt, Method};

use super::Output;
use crate::app::App;

#[derive(Debug, Subcommand)]
pub enum RuleCommand {
    /// Add a rule (last, or at --position).
    Add(RuleArgs),
    /// The rules in the order they are tried.
    List,
    /// One rule.
    Show { name: String },
    /// Replace a rule's fields (the ones not given are cleared, as with PUT).
    Update(RuleArgs),
    /// Remove a rule.
    Remove { name: String },
    /// Move a rule to a position (0 is first).
    Move { name: String, position: usize },
    /// Which rule applies to USER at a door from an address, and what they would be asked for.
    Test {
        username: String,
        /// The door: portal, console, sso, radius:NAME, ldap:NAME, api:KEY, oidc:NAME, forward:HOST.
        #[arg(long)]
        door: String,
        /// The person's address (for RADIUS: what the NAS reports).
        #[arg(long)]
        address: Option<String>,
        /// When, RFC 3339 (default now).
        #[arg(long)]
        at: Option<String>,
    },
}

/// The fields of `POST /api/v1/rules`, as flags; lists are comma-separated.
#[derive(Debug, clap::Args)]
pub struct RuleArgs {
    name: String,
    #[arg(long)]
    position: Option<usize>,
    /// Groups, e.g. admins,contractors.
    #[arg(long, value_delimiter = ',')]
    groups: Vec<String>,
    /// Doors, e.g. radius:vpn,api:*.
    #[arg(long, value_delimiter = ',')]
    doors: Vec<String>,
    /// CIDR blocks, e.g. 10.0.0.0/8.
    #[arg(long, value_delimiter = ',')]
    networks: Vec<String>,
    /// user (the person's address, default) or door (the NAS's, the API caller's).
    #[arg(long)]
    network_of: Option<String>,
    /// A time window, e.g. 08:00-18:00.
    #[arg(long)]
    hours: Option<String>,
    /// The window's time zone, e.g. Europe/Berlin (default UTC).
    #[arg(long)]
    time_zone: Option<String>,
    /// allow, deny or skip_second_factor.
    #[arg(long)]
    outcome: String,
    /// allow: only these methods, e.g. push,otp.
    #[arg(long, value_delimiter = ',')]
    methods: Vec<String>,
    /// phishing_resistant: passkeys only.
    #[arg(long)]
    strength: Option<String>,
    /// Browser doors: remember the browser this many days.
    #[arg(long)]
    remember_device_days: Option<u32>,
}

impl RuleArgs {
    fn rule(&self) -> Result<Rule> {
        let word = |text: &str| serde_json::Value::String(text.trim().to_string());
        let outcome: Outcome = serde_json::from_value(word(&self.outcome)).map_err(|_| {
            anyhow!(
                "--outcome: '{}' is not allow, deny or skip_second_factor",
                self.outcome
            )
        })?;
        let network_of: NetworkOf = match &self.network_of {
            Some(text) => serde_json::from_value(word(text))
                .map_err(|_| anyhow!("--network-of: '{text}' is not user or door"))?,
            None => NetworkOf::User,
        };
        let strength: Option<Strength> = match &self.strength {
            Some(text) => Some(
                serde_json::from_value(word(text))
                    .map_err(|_| anyhow!("--strength: '{text}' is not phishing_resistant"))?,
            ),
            None => None,
        };
        let methods = self
            .methods
            .iter()
            .map(|m| {
                Method::parse(m)
                    .ok_or_else(|| anyhow!("--methods: '{m}' is not {}", Method::listed()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Rule {
            name: self.name.trim().to_string(),
            groups: self.groups.clone(),
            doors: self.doors.clone(),
            networks: self.networks.clone(),
            network_of,
            hours: self.hours.clone(),
            time_zone: self.time_zone.clone(),
            outcome,
            methods,
            strength,
            remember_device_days: self.remember_device_days,
        })
    }
}

pub async fn rule(app: &App, command: RuleCommand, out: &Output) -> Result<ExitCode> {
    match command {
        RuleCommand::Add(args) => {
            let rule = app.rules.add(args.rule()?, args.position).await?;
            out.show(&rule, || format!("rule {} added", rule.name));
        }
        RuleCommand::Update(args) => {
            let rule = app
                .rules
                .update(&args.name, args.rule()?, args.position)
                .await?;
            out.show(&rule, || format!("rule {} updated", rule.name));
        }
        RuleCommand::List => {
            let rules = app.rules.list();
            out.show(&rules, || table(&rules));
        }
        RuleCommand::Show { name } => {
            let rule = app.rules.get(&name)?;
            out.show(&rule, || describe(&rule));
        }
        RuleCommand::Remove { name } => {
            app.rules.remove(&name).await?;
            out.show(&serde_json::json!({"removed": name}), || {
                format!("rule {name} removed")
            });
        }
        RuleCommand::Move { name, position } => {
            let rules = app.rules.move_to(&name, position).await?;
            out.show(&rules, || table(&rules));
        }
        RuleCommand::Test {
            username,
            door,
            address,
            at,
        } => {
            return test(
                app,
                &username,
                &door,
                address.as_deref(),
                at.as_deref(),
                out,
            )
            .await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn test(
    app: &App,
    username: &str,
    door: &str,
    address: Option<&str>,
    at: Option<&str>,
    out: &Output,
) -> Result<ExitCode> {
    let attempt = Attempt::at_door(username, door, address)?;
    let at = match at {
        Some(text) => {
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    anyhow!("--at: '{text}' is not an RFC 3339 time like 2026-12-07T09:30:00Z")
                })?
                .unix_timestamp()
        }
        None => app.signin.now(),
    };
    let told = app.signin.explain(&attempt, at).await?;
    out.show(&told, || {
        let rule = told
            .evaluation
            .rule
            .as_deref()
            .unwrap_or("(none: the default)");
        let then = match (told.decision.as_str(), told.reason, told.method) {
            ("second_factor", _, Some(m)) => format!("asked for {m}"),
            (decision, Some(reason), _) => format!("{decision} ({})", reason.as_str()),
            (decision, None, _) => decision.to_string(),
        };
        format!(
            "user:    {}\ngroups:  {}\ndoor:    {}\naddress: {}\nrule:    {rule}\nthen:    {then}",
            told.user.as_deref().unwrap_or("(unknown)"),
            told.groups.join(", "),
            told.door,
            told.address.as_deref().unwrap_or("-"),
        )
    });
    Ok(ExitCode::SUCCESS)
}

fn table(rules: &[Rule]) -> String {
    if rules.is_empty() {
        return "no rules: every sign-in follows the default (the user's methods)".into();
    }
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| format!("{i:>3}  {:<24} {}", r.name, summary(r)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn describe(rule: &Rule) -> String {
    format!("{}\n{}", rule.name, summary(rule))
}

/// A rule in one line: `groups=admins doors=radius:* -> allow methods=push`.
pub fn summary(r: &Rule) -> String {
    let mut parts = Vec::new();
    let list = |name: &str, items: &[String]| {
        (!items.is_empty()).then(|| format!("{name}={}", items.join(",")))
    };
    parts.extend(list("groups", &r.groups));
    parts.extend(list("doors", &r.doors));
    parts.extend(list("networks", &r.networks));
    if r.network_of == NetworkOf::Door {
        parts.push("network_of=door".into());
    }
    if let Some(hours) = &r.hours {
        parts.push(format!(
            "hours={hours} {}",
            r.time_zone.as_deref().unwrap_or("UTC")
        ));
    }
    parts.push(format!("-> {}", r.outcome.as_str()));
    if !r.methods.is_empty() {
        let methods: Vec<&str> = r.methods.iter().map(|m| m.as_str()).collect();
        parts.push(format!("methods={}", methods.join(",")));
    }
    if r.strength.is_some() {
        parts.push("strength=phishing_resistant".into());
    }
    if let Some(days) = r.remember_device_days {
        parts.push(format!("remember_device_days={days}"));
    }
    parts.join(" ")
}
