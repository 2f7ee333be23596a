//! `/api/v1/rules` (admin scope): the sign-in rules, in order, kept in the
//! store; `POST /api/v1/rules/test` tells which rule applies to a user at a
//! door from an address, and what they would be asked for, by the engine's
//! own code (docs/policy.md).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use countersign_domain::rules::{NetworkOf, Outcome, Rule, Strength};
use countersign_domain::signin::{Attempt, Explanation};
use countersign_domain::{DomainError, Source};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{AdminKey, ApiJson};

/// A rule: conditions (all given must hold) and an outcome. The first
/// matching rule applies; none matching is the default (the user's methods).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    /// 1 to 64 letters, digits, `-`, `_`, `.`.
    pub name: String,
    /// Where in the list (0 is first); absent: last (in place on update).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    /// The user is in any of these groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Any of these doors: `portal`, `console`, `sso`, `cli`, `radius:NAME`,
    /// `ldap:NAME`, `api:KEYNAME`, `oidc:CLIENT`, `forward:HOST`, or `KIND:*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub doors: Vec<String>,
    /// The address is in any of these CIDR blocks (`10.0.0.0/8`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<String>,
    /// `user` (default): the person's address as the door reports it;
    /// `door`: the door's peer (the NAS, the API caller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub network_of: Option<NetworkOf>,
    /// A time window `HH:MM-HH:MM` (over midnight when the end comes first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    /// The window's IANA time zone (default UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// `allow`, `deny` or `skip_second_factor`.
    #[schema(value_type = String)]
    pub outcome: Outcome,
    /// `allow`: only these methods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<String>)]
    pub methods: Vec<countersign_domain::signin::Method>,
    /// `phishing_resistant`: passkeys only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub strength: Option<Strength>,
    /// Browser doors: after a full sign-in, the browser may be remembered this many days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remember_device_days: Option<u32>,
}

impl RuleBody {
    fn rule(&self) -> Rule {
        Rule {
            name: self.name.trim().to_string(),
            groups: self.groups.clone(),
            doors: self.doors.clone(),
            networks: self.networks.clone(),
            network_of: self.network_of.unwrap_or_default(),
            hours: self.hours.clone(),
            time_zone: self.time_zone.clone(),
            outcome: self.outcome,
            methods: self.methods.clone(),
            strength: self.strength,
            remember_device_days: self.remember_device_days,
        }
    }

    fn view(rule: Rule, position: usize) -> RuleBody {
        RuleBody {
            name: rule.name,
            position: Some(position),
            groups: rule.groups,
            doors: rule.doors,
            networks: rule.networks,
            network_of: Some(rule.network_of),
            hours: rule.hours,
            time_zone: rule.time_zone,
            outcome: rule.outcome,
            methods: rule.methods,
            strength: rule.strength,
            remember_device_days: rule.remember_device_days,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleList {
    /// In the order they are tried.
    pub rules: Vec<RuleBody>,
}

/// A sign-in to try against the rules.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleTest {
    pub username: String,
    /// The door in rule syntax (`radius:vpn`, `api:app`, `portal`).
    pub door: String,
    /// The person's address (for RADIUS: what the NAS reports).
    #[serde(default)]
    pub address: Option<String>,
    /// When (RFC 3339); default now.
    #[serde(default)]
    pub at: Option<String>,
}

/// Which rule applies and what the user would be asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleTestResult {
    /// The user as stored; null when nobody has that name.
    pub user: Option<String>,
    pub groups: Vec<String>,
    pub door: String,
    pub address: Option<String>,
    /// The rule that applies; null: none, the default.
    pub rule: Option<String>,
    /// `allow`, `deny` or `skip_second_factor`.
    pub outcome: String,
    /// The methods the rule leaves; null: every method the user has.
    pub methods: Option<Vec<String>>,
    pub strength: Option<String>,
    pub remember_device_days: Option<u32>,
    /// `rejected`, `accepted` (no second factor) or `second_factor`.
    pub decision: String,
    /// Why rejected or accepted (`denied_by_rule`, `trusted_network`, ...).
    pub reason: Option<String>,
    /// The method the user would be asked for (`second_factor`).
    pub method: Option<String>,
}

impl From<Explanation> for RuleTestResult {
    fn from(e: Explanation) -> Self {
        RuleTestResult {
            user: e.user,
            groups: e.groups,
            door: e.door,
            address: e.address,
            rule: e.evaluation.rule,
            outcome: e.evaluation.outcome.as_str().into(),
            methods: e
                .evaluation
                .methods
                .map(|m| m.iter().map(|m| m.as_str().to_string()).collect()),
            strength: e.evaluation.strength.map(|_| "phishing_resistant".into()),
            remember_device_days: e.evaluation.remember_device_days,
            decision: e.decision,
            reason: e.reason.map(|r| r.as_str().into()),
            method: e.method.map(|m| m.as_str().into()),
        }
    }
}

fn listed(state: &ApiState) -> Vec<RuleBody> {
    let rules = state.rules.list().into_iter().enumerate();
    rules.map(|(i, r)| RuleBody::view(r, i)).collect()
}

fn found(state: &ApiState, name: &str) -> Result<RuleBody, ApiError> {
    listed(state)
        .into_iter()
        .find(|r| r.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| DomainError::not_found("rule", name).into())
}

#[utoipa::path(get, path = "/api/v1/rules", operation_id = "list_rules", security(("bearer" = [])),
    responses((status = 200, body = RuleList)))]
pub async fn list(State(state): State<ApiState>, _key: AdminKey) -> Json<RuleList> {
    Json(RuleList {
        rules: listed(&state),
    })
}

#[utoipa::path(post, path = "/api/v1/rules", operation_id = "create_rule", request_body = RuleBody, security(("bearer" = [])),
    responses((status = 201, body = RuleBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<ApiState>,
    AdminKey(key): AdminKey,
    ApiJson(body): ApiJson<RuleBody>,
) -> Result<(StatusCode, Json<RuleBody>), ApiError> {
    let rule = state.rules.add(body.rule(), body.position).await?;
    tracing::info!(by = %key.name, rule = %rule.name, "sign-in rule added through the API");
    Ok((StatusCode::CREATED, Json(found(&state, &rule.name)?)))
}

#[utoipa::path(get, path = "/api/v1/rules/{name}", operation_id = "get_rule", security(("bearer" = [])),
    params(("name" = String, Path, description = "The rule's name")),
    responses((status = 200, body = RuleBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(name): Path<String>,
) -> Result<Json<RuleBody>, ApiError> {
    Ok(Json(found(&state, &name)?))
}

#[utoipa::path(put, path = "/api/v1/rules/{name}", operation_id = "update_rule", request_body = RuleBody, security(("bearer" = [])),
    params(("name" = String, Path, description = "The rule's name")),
    responses((status = 200, body = RuleBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<ApiState>,
    AdminKey(key): AdminKey,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<RuleBody>,
) -> Result<Json<RuleBody>, ApiError> {
    let rule = state
        .rules
        .update(&name, body.rule(), body.position)
        .await?;
    tracing::info!(by = %key.name, rule = %rule.name, "sign-in rule changed through the API");
    Ok(Json(found(&state, &rule.name)?))
}

#[utoipa::path(delete, path = "/api/v1/rules/{name}", operation_id = "delete_rule", security(("bearer" = [])),
    params(("name" = String, Path, description = "The rule's name")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(state): State<ApiState>,
    AdminKey(key): AdminKey,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.rules.remove(&name).await?;
    tracing::info!(by = %key.name, rule = %name, "sign-in rule removed through the API");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/rules/test", operation_id = "test_rules", request_body = RuleTest, security(("bearer" = [])),
    responses((status = 200, body = RuleTestResult), (status = 422, body = ErrorBody)))]
pub async fn test(
    State(state): State<ApiState>,
    _key: AdminKey,
    ApiJson(body): ApiJson<RuleTest>,
) -> Result<Json<RuleTestResult>, ApiError> {
    let at = match body.at.as_deref() {
        Some(text) => parse_time(text)?,
        None => state.signin.now(),
    };
    let attempt = test_attempt(&body.username, &body.door, body.address.as_deref())?;
    let told = state.signin.explain(&attempt, at).await?;
    Ok(Json(told.into()))
}

/// The attempt a door would make: the tester's door and address put where
/// that door puts them (shared with the console's tester).
pub fn test_attempt(
    username: &str,
    door: &str,
    address: Option<&str>,
) -> Result<Attempt, DomainError> {
    let door = door.trim();
    let pattern = countersign_domain::rules::door::DoorPattern::parse(door)?;
    if !matches!(
        pattern,
        countersign_domain::rules::door::DoorPattern::Exact(_)
    ) {
        return Err(DomainError::invalid(
            "door",
            "name one door, not a kind with *",
        ));
    }
    let network = match address.map(str::trim).filter(|a| !a.is_empty()) {
        Some(text) => Some(text.parse::<std::net::IpAddr>().map_err(|_| {
            DomainError::invalid("address", format!("'{text}' is not an IP address"))
        })?),
        None => None,
    };
    let client = match door.split_once(':') {
        Some(("api", key)) | Some(("API", key)) => key.to_string(),
        _ => door.to_string(),
    };
    Ok(Attempt {
        username: username.trim().to_string(),
        source: Source {
            client: Some(client),
            address: network.map(|a| a.to_string()),
            rule: None,
        },
        network,
        ..Attempt::default()
    })
}

fn parse_time(text: &str) -> Result<i64, DomainError> {
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| {
            DomainError::invalid(
                "at",
                format!("'{text}' is not an RFC 3339 time like 2026-12-07T09:30:00Z"),
            )
        })
}
