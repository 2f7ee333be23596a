//! Managing RADIUS clients: checked once here for the CLI and the
//! configuration file alike; secrets sealed at rest.

use std::sync::Arc;

use serde::Serialize;

use crate::crypto::SecretKey;
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::net::IpNet;
use crate::model::radius::{DropCount, FirstFactor, Flow, StoredRadiusClient};
use crate::ports::clock::Clock;
use crate::ports::RadiusStore;
use crate::signin::DoorRules;

/// RFC 2865 asks for secrets at least as long as an MD5 output.
pub const MIN_SECRET_LEN: usize = 16;

/// A client as an operator describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RadiusClientSpec {
    pub name: String,
    pub address: String,
    pub secret: String,
    pub flow: Flow,
    pub first_factor: FirstFactor,
    pub upstream: Option<String>,
    pub upstream_secret: Option<String>,
    pub require_message_authenticator: bool,
    /// The upstream's answers must carry Message-Authenticator (BlastRADIUS);
    /// false only for an upstream that cannot add it.
    pub upstream_require_message_authenticator: bool,
    pub rules: DoorRules,
}

/// A client ready for the listener, secrets open.
#[derive(Debug, Clone)]
pub struct RadiusClient {
    pub name: String,
    pub net: IpNet,
    pub secret: Vec<u8>,
    pub flow: Flow,
    pub first_factor: FirstFactor,
    pub upstream: Option<Upstream>,
    pub require_message_authenticator: bool,
    pub rules: DoorRules,
}

#[derive(Debug, Clone)]
pub struct Upstream {
    pub address: String,
    pub secret: Vec<u8>,
    /// Answers without Message-Authenticator are refused.
    pub require_message_authenticator: bool,
}

/// What `list` shows: never the secrets.
#[derive(Debug, Clone, Serialize)]
pub struct RadiusClientView {
    pub name: String,
    pub address: String,
    pub flow: Flow,
    pub first_factor: FirstFactor,
    pub upstream: Option<String>,
    pub require_message_authenticator: bool,
    pub upstream_require_message_authenticator: bool,
    #[serde(flatten)]
    pub rules: DoorRules,
}

impl RadiusClientSpec {
    /// Checks every field; returns the parsed address block.
    pub fn validate(&self) -> Result<IpNet, DomainError> {
        let name = self.name.trim();
        if name.is_empty()
            || name.len() > 64
            || name.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(DomainError::invalid(
                "name",
                "give the client a name of 1 to 64 characters without spaces",
            ));
        }
        let net = self
            .address
            .parse::<IpNet>()
            .map_err(|e| DomainError::invalid("address", e))?;
        check_secret("secret", &self.secret)?;
        match (self.first_factor, &self.upstream, &self.upstream_secret) {
            (FirstFactor::Radius, Some(upstream), Some(secret)) => {
                if !upstream.contains(':') {
                    return Err(DomainError::invalid(
                        "upstream",
                        format!("'{upstream}' must be host:port, e.g. 10.0.0.9:1812"),
                    ));
                }
                check_secret("upstream_secret", secret)?;
                if self.flow == Flow::Otp {
                    return Err(DomainError::invalid("flow", "a RADIUS first factor needs the challenge flow (the password is the first factor, the code comes second)"));
                }
            }
            (FirstFactor::Radius, _, _) => {
                return Err(DomainError::invalid(
                    "upstream",
                    "first_factor = radius needs upstream (host:port) and upstream_secret",
                ))
            }
            (FirstFactor::Ldap, _, _) if self.flow == Flow::Otp => {
                return Err(DomainError::invalid("flow", "an LDAP first factor needs the challenge flow (the password is the first factor, the code comes second)"));
            }
            (FirstFactor::Ldap | FirstFactor::None, _, _) => {}
        }
        Ok(net)
    }

    /// Opens into a listener client without storing it (configuration-file clients).
    pub fn into_client(self) -> Result<RadiusClient, DomainError> {
        let net = self.validate()?;
        Ok(RadiusClient {
            name: self.name,
            net,
            secret: self.secret.into_bytes(),
            flow: self.flow,
            first_factor: self.first_factor,
            upstream: self
                .upstream
                .zip(self.upstream_secret)
                .map(|(address, secret)| Upstream {
                    address,
                    secret: secret.into_bytes(),
                    require_message_authenticator: self.upstream_require_message_authenticator,
                }),
            require_message_authenticator: self.require_message_authenticator,
            rules: self.rules,
        })
    }
}

fn check_secret(field: &str, secret: &str) -> Result<(), DomainError> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(DomainError::invalid(field, format!("must be at least {MIN_SECRET_LEN} characters (RFC 2865 section 3); use a random one")));
    }
    if secret.len() > 128 || secret.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            field,
            "must be at most 128 printable characters",
        ));
    }
    Ok(())
}

#[derive(Clone)]
pub struct RadiusClients {
    store: Arc<dyn RadiusStore>,
    clock: Arc<dyn Clock>,
    key: SecretKey,
}

impl RadiusClients {
    pub fn new(store: Arc<dyn RadiusStore>, clock: Arc<dyn Clock>, key: SecretKey) -> Self {
        Self { store, clock, key }
    }

    pub async fn add(&self, spec: RadiusClientSpec) -> Result<RadiusClientView, DomainError> {
        spec.validate()?;
        let stored = self.sealed(new_id("rad"), self.clock.now(), &spec);
        self.store
            .insert_radius_client(&stored)
            .await
            .map_err(|e| match e {
                crate::StoreError::Conflict(_) => DomainError::Conflict(format!(
                    "a RADIUS client named '{}' already exists",
                    stored.name
                )),
                other => other.into(),
            })?;
        Ok(view(&stored))
    }

    /// The stored row for `spec`, secrets sealed to row `id`.
    fn sealed(&self, id: String, created_at: i64, spec: &RadiusClientSpec) -> StoredRadiusClient {
        StoredRadiusClient {
            sealed_secret: self
                .key
                .seal("radius_clients", &id, "secret", spec.secret.as_bytes()),
            sealed_upstream_secret: spec.upstream_secret.as_ref().map(|s| {
                self.key
                    .seal("radius_clients", &id, "upstream_secret", s.as_bytes())
            }),
            id,
            name: spec.name.trim().to_string(),
            address: spec.address.trim().to_string(),
            flow: spec.flow,
            first_factor: spec.first_factor,
            upstream: spec.upstream.clone(),
            require_message_authenticator: spec.require_message_authenticator,
            upstream_require_message_authenticator: spec.upstream_require_message_authenticator,
            rules: spec.rules,
            created_at,
        }
    }

    /// Changes client `name` to `spec` (the name stays); an empty secret
    /// (or upstream secret) keeps the stored one.
    pub async fn update(
        &self,
        name: &str,
        mut spec: RadiusClientSpec,
    ) -> Result<RadiusClientView, DomainError> {
        let stored = self
            .store
            .list_radius_clients()
            .await?
            .into_iter()
            .find(|c| c.name == name)
            .ok_or_else(|| DomainError::not_found("RADIUS client", name))?;
        spec.name = stored.name.clone();
        if spec.secret.is_empty() {
            let old = self.key.open(
                "radius_clients",
                &stored.id,
                "secret",
                &stored.sealed_secret,
            )?;
            spec.secret = String::from_utf8_lossy(&old).into_owned();
        }
        if spec.upstream_secret.is_none() {
            if let Some(sealed) = &stored.sealed_upstream_secret {
                let old = self
                    .key
                    .open("radius_clients", &stored.id, "upstream_secret", sealed)?;
                spec.upstream_secret = Some(String::from_utf8_lossy(&old).into_owned());
            }
        }
        spec.validate()?;
        let updated = self.sealed(stored.id.clone(), stored.created_at, &spec);
        self.store.update_radius_client(&updated).await?;
        Ok(view(&updated))
    }

    /// One stored client as `list` shows it.
    pub async fn get(&self, name: &str) -> Result<RadiusClientView, DomainError> {
        self.list()
            .await?
            .into_iter()
            .find(|c| c.name == name)
            .ok_or_else(|| DomainError::not_found("RADIUS client", name))
    }

    pub async fn list(&self) -> Result<Vec<RadiusClientView>, DomainError> {
        Ok(self
            .store
            .list_radius_clients()
            .await?
            .iter()
            .map(view)
            .collect())
    }

    pub async fn remove(&self, name: &str) -> Result<(), DomainError> {
        if self.store.delete_radius_client(name).await? {
            Ok(())
        } else {
            Err(DomainError::not_found("RADIUS client", name))
        }
    }

    /// Dropped requests per client and cause, of the last `seconds`.
    pub async fn recent_drops(&self, seconds: i64) -> Result<Vec<DropCount>, DomainError> {
        let since = self.clock.now() - seconds;
        Ok(self.store.recent_radius_drops(since).await?)
    }

    /// Every stored client with its secrets open, for the listener.
    pub async fn load(&self) -> Result<Vec<RadiusClient>, DomainError> {
        let mut clients = Vec::new();
        for stored in self.store.list_radius_clients().await? {
            let net = stored
                .address
                .parse::<IpNet>()
                .map_err(|e| DomainError::invalid("address", e))?;
            let secret = self.key.open(
                "radius_clients",
                &stored.id,
                "secret",
                &stored.sealed_secret,
            )?;
            let upstream_secret = match &stored.sealed_upstream_secret {
                Some(sealed) => {
                    Some(
                        self.key
                            .open("radius_clients", &stored.id, "upstream_secret", sealed)?,
                    )
                }
                None => None,
            };
            clients.push(RadiusClient {
                name: stored.name,
                net,
                secret,
                flow: stored.flow,
                first_factor: stored.first_factor,
                upstream: stored
                    .upstream
                    .zip(upstream_secret)
                    .map(|(address, secret)| Upstream {
                        address,
                        secret,
                        require_message_authenticator: stored
                            .upstream_require_message_authenticator,
                    }),
                require_message_authenticator: stored.require_message_authenticator,
                rules: stored.rules,
            });
        }
        Ok(clients)
    }
}

fn view(c: &StoredRadiusClient) -> RadiusClientView {
    RadiusClientView {
        name: c.name.clone(),
        address: c.address.clone(),
        flow: c.flow,
        first_factor: c.first_factor,
        upstream: c.upstream.clone(),
        require_message_authenticator: c.require_message_authenticator,
        upstream_require_message_authenticator: c.upstream_require_message_authenticator,
        rules: c.rules,
    }
}
