//! The policy that is data, not deployment: kept in the store, edited in
//! the console, by the API and the CLI, with the TOML as the first default.
//! The engine reads it on every decision from a shared handle that a save
//! (on this node) or a refresh (every few seconds, for the others) updates.

use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::model::error::DomainError;
use crate::ports::MetaStore;

/// The meta key the settings are stored under (JSON).
const META_KEY: &str = "settings.policy";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The seed's "allow users to select method": off, a door that names a
    /// method other than the user's default is refused (`method_not_allowed`).
    pub allow_method_choice: bool,
    /// Consecutive failures that lock a user.
    pub lockout_threshold: u32,
    /// How long a lock lasts.
    pub lockout_minutes: u32,
    /// Pushes show a number the user picks on the phone (per-user override wins).
    pub push_number_matching: bool,
    /// The user proves a PIN on the phone for every push (per-user override wins).
    pub push_pin_required: bool,
    /// Pushes one user may get per minute and per hour (push-bombing defence).
    pub push_per_minute: u32,
    pub push_per_hour: u32,
    /// The account name the authenticator app, codes and welcome emails show.
    pub account_name: String,
    /// The portal (MFA Server's "allow user enrollment"): a user with no
    /// method yet may sign in with the first factor alone, to enrol one.
    pub allow_user_enrolment: bool,
    /// The portal offers activating the Countersign authenticator.
    pub allow_app_activation: bool,
    /// The portal offers adding a TOTP token for any authenticator app.
    pub allow_token_enrolment: bool,
    /// Users may change their phone (confirmed by a texted code).
    pub allow_phone_change: bool,
    /// Users may change their email address (confirmed by an emailed code).
    pub allow_email_change: bool,
    /// Users may remove their last way to sign in.
    pub allow_remove_last_method: bool,
    /// The fewest digits a PIN set in the portal may have.
    pub pin_min_length: u32,
    /// Passkeys: only these authenticator models (AAGUIDs) may register;
    /// empty lets any. Without `direct` attestation an AAGUID is the
    /// authenticator's own word.
    pub webauthn_aaguid_allow: Vec<String>,
    /// Passkeys: the attestation asked for at registration, `none` or `direct`.
    pub webauthn_attestation: String,
    /// Passkeys: `required` (a passkey is then both factors), `preferred`
    /// or `discouraged`. Discoverable sign-in always requires it.
    pub webauthn_user_verification: String,
    /// How long a passkey ceremony's challenge stays valid.
    pub webauthn_challenge_seconds: u32,
    /// Administrators who have a passkey must use it: their TOTP is refused.
    pub admins_must_use_passkey: bool,
    /// An `/sso` session (forward auth, the OpenID Provider) unused this long ends.
    pub sso_idle_minutes: u32,
    /// An `/sso` session ends this long after sign-in, however active.
    pub sso_absolute_hours: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            allow_method_choice: true,
            lockout_threshold: 10,
            lockout_minutes: 15,
            push_number_matching: true,
            push_pin_required: false,
            push_per_minute: 3,
            push_per_hour: 10,
            account_name: "Countersign".into(),
            allow_user_enrolment: true,
            allow_app_activation: true,
            allow_token_enrolment: true,
            allow_phone_change: true,
            allow_email_change: true,
            allow_remove_last_method: false,
            pin_min_length: 4,
            webauthn_aaguid_allow: Vec::new(),
            webauthn_attestation: "none".into(),
            webauthn_user_verification: "required".into(),
            webauthn_challenge_seconds: 300,
            admins_must_use_passkey: false,
            sso_idle_minutes: 60,
            sso_absolute_hours: 12,
        }
    }
}

impl Settings {
    /// Every field checked; the first problem names its field.
    pub fn validate(&self) -> Result<(), DomainError> {
        if !(1..=1000).contains(&self.lockout_threshold) {
            return Err(DomainError::invalid(
                "lockout_threshold",
                "must be 1 to 1000 failures",
            ));
        }
        if !(1..=10_080).contains(&self.lockout_minutes) {
            return Err(DomainError::invalid(
                "lockout_minutes",
                "must be 1 to 10080 minutes (a week)",
            ));
        }
        if !(1..=100).contains(&self.push_per_minute) {
            return Err(DomainError::invalid(
                "push_per_minute",
                "must be 1 to 100 pushes",
            ));
        }
        if !(self.push_per_minute..=10_000).contains(&self.push_per_hour) {
            return Err(DomainError::invalid(
                "push_per_hour",
                "must be at least the per-minute limit and at most 10000",
            ));
        }
        if !(4..=12).contains(&self.pin_min_length) {
            return Err(DomainError::invalid(
                "pin_min_length",
                "must be 4 to 12 digits",
            ));
        }
        self.validate_webauthn()?;
        self.validate_sso()?;
        let name = self.account_name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "account_name",
                "1 to 64 printable characters, e.g. the organisation's name",
            ));
        }
        Ok(())
    }

    fn validate_sso(&self) -> Result<(), DomainError> {
        if !(1..=10_080).contains(&self.sso_idle_minutes) {
            return Err(DomainError::invalid(
                "sso_idle_minutes",
                "must be 1 to 10080 minutes (a week)",
            ));
        }
        if !(1..=720).contains(&self.sso_absolute_hours) {
            return Err(DomainError::invalid(
                "sso_absolute_hours",
                "must be 1 to 720 hours (30 days)",
            ));
        }
        Ok(())
    }

    /// The limits of `/sso` sessions.
    pub fn sso_sessions(&self) -> crate::sessions::SessionPolicy {
        crate::sessions::SessionPolicy {
            idle_seconds: i64::from(self.sso_idle_minutes) * 60,
            absolute_seconds: i64::from(self.sso_absolute_hours) * 3600,
        }
    }

    fn validate_webauthn(&self) -> Result<(), DomainError> {
        if !matches!(self.webauthn_attestation.as_str(), "none" | "direct") {
            return Err(DomainError::invalid(
                "webauthn_attestation",
                "must be none or direct",
            ));
        }
        if !matches!(
            self.webauthn_user_verification.as_str(),
            "required" | "preferred" | "discouraged"
        ) {
            return Err(DomainError::invalid(
                "webauthn_user_verification",
                "must be required, preferred or discouraged",
            ));
        }
        if !(1..=3600).contains(&self.webauthn_challenge_seconds) {
            return Err(DomainError::invalid(
                "webauthn_challenge_seconds",
                "must be 1 to 3600 seconds",
            ));
        }
        if let Some(bad) = self
            .webauthn_aaguid_allow
            .iter()
            .find(|a| countersign_webauthn::Aaguid::parse(a).is_none())
        {
            return Err(DomainError::invalid(
                "webauthn_aaguid_allow",
                format!(
                    "'{bad}' is not an AAGUID (a UUID like cb69481e-8ff7-4039-93ec-0a2729a154a8)"
                ),
            ));
        }
        Ok(())
    }

    /// One line for the audit trail and the log.
    pub fn summary(&self) -> String {
        format!(
            "allow_method_choice={} lockout_threshold={} lockout_minutes={} push_number_matching={} \
             push_pin_required={} push_per_minute={} push_per_hour={} account_name={:?} \
             allow_user_enrolment={} allow_app_activation={} allow_token_enrolment={} \
             allow_phone_change={} allow_email_change={} allow_remove_last_method={} pin_min_length={} \
             webauthn_aaguid_allow={:?} webauthn_attestation={} webauthn_user_verification={} \
             webauthn_challenge_seconds={} admins_must_use_passkey={} sso_idle_minutes={} \
             sso_absolute_hours={}",
            self.allow_method_choice,
            self.lockout_threshold,
            self.lockout_minutes,
            self.push_number_matching,
            self.push_pin_required,
            self.push_per_minute,
            self.push_per_hour,
            self.account_name,
            self.allow_user_enrolment,
            self.allow_app_activation,
            self.allow_token_enrolment,
            self.allow_phone_change,
            self.allow_email_change,
            self.allow_remove_last_method,
            self.pin_min_length,
            self.webauthn_aaguid_allow,
            self.webauthn_attestation,
            self.webauthn_user_verification,
            self.webauthn_challenge_seconds,
            self.admins_must_use_passkey,
            self.sso_idle_minutes,
            self.sso_absolute_hours
        )
    }

    /// These settings with the fields of a JSON object replaced (an API
    /// patch); an unknown field or a value of the wrong type names itself.
    pub fn merged(
        &self,
        patch: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Settings, DomainError> {
        let mut whole = match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => return Err(DomainError::invalid("settings", "cannot be represented")),
        };
        for (name, value) in patch {
            if value.is_null() {
                continue;
            }
            if !whole.contains_key(&name) {
                return Err(DomainError::invalid(&name, "is not a setting"));
            }
            whole.insert(name, value);
        }
        serde_json::from_value(serde_json::Value::Object(whole))
            .map_err(|e| DomainError::invalid("settings", e.to_string()))
    }

    /// Sets one field from text (the CLI): `on`/`off` for switches, a
    /// number for counts, the text itself otherwise.
    pub fn with_text(&self, name: &str, text: &str) -> Result<Settings, DomainError> {
        let current = serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get(name).cloned())
            .ok_or_else(|| DomainError::invalid(name, "is not a setting"))?;
        let value = match current {
            serde_json::Value::Bool(_) => match text {
                "on" | "true" | "yes" => serde_json::Value::Bool(true),
                "off" | "false" | "no" => serde_json::Value::Bool(false),
                _ => {
                    return Err(DomainError::invalid(
                        name,
                        format!("'{text}' is not on or off"),
                    ))
                }
            },
            serde_json::Value::Number(_) => text
                .trim()
                .parse::<u32>()
                .map(serde_json::Value::from)
                .map_err(|_| {
                    DomainError::invalid(name, format!("'{text}' is not a whole number"))
                })?,
            serde_json::Value::Array(_) => serde_json::Value::Array(
                text.split(',')
                    .map(str::trim)
                    .filter(|w| !w.is_empty())
                    .map(|w| serde_json::Value::String(w.to_string()))
                    .collect(),
            ),
            _ => serde_json::Value::String(text.trim().to_string()),
        };
        let mut patch = serde_json::Map::new();
        patch.insert(name.to_string(), value);
        self.merged(patch)
    }

    pub fn lockout_seconds(&self) -> i64 {
        i64::from(self.lockout_minutes) * 60
    }
}

/// The settings every service of this process reads; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct SettingsHandle(Arc<RwLock<Settings>>);

impl SettingsHandle {
    pub fn new(settings: Settings) -> Self {
        Self(Arc::new(RwLock::new(settings)))
    }

    pub fn get(&self) -> Settings {
        match self.0.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reads what `look` needs without cloning the whole settings (the
    /// account name is a String): the hot path reads one or two numbers.
    pub fn read<T>(&self, look: impl FnOnce(&Settings) -> T) -> T {
        match self.0.read() {
            Ok(current) => look(&current),
            Err(poisoned) => look(&poisoned.into_inner()),
        }
    }

    pub fn set(&self, settings: Settings) {
        match self.0.write() {
            Ok(mut current) => *current = settings,
            Err(poisoned) => *poisoned.into_inner() = settings,
        }
    }

    pub fn update(&self, change: impl FnOnce(&mut Settings)) {
        let mut next = self.get();
        change(&mut next);
        self.set(next);
    }
}

/// Reading and saving the stored settings.
#[derive(Clone)]
pub struct SettingsService {
    store: Arc<dyn MetaStore>,
    live: SettingsHandle,
    defaults: Settings,
}

impl SettingsService {
    /// `defaults` come from the configuration file (used until a save).
    pub fn new(store: Arc<dyn MetaStore>, live: SettingsHandle, defaults: Settings) -> Self {
        Self {
            store,
            live,
            defaults,
        }
    }

    pub fn current(&self) -> Settings {
        self.live.get()
    }

    pub fn defaults(&self) -> &Settings {
        &self.defaults
    }

    /// The live settings every service of this process reads.
    pub fn handle(&self) -> &SettingsHandle {
        &self.live
    }

    /// Reads the stored settings into the live handle (the configuration's
    /// when none are stored). Run at start and every few seconds.
    pub async fn refresh(&self) -> Result<Settings, DomainError> {
        let stored = self.store.get_meta(META_KEY).await?;
        let settings = match stored {
            Some(bytes) => serde_json::from_slice::<Settings>(&bytes).map_err(|e| {
                DomainError::invalid("settings", format!("the stored settings do not parse: {e}"))
            })?,
            None => self.defaults.clone(),
        };
        if settings != self.live.get() {
            self.live.set(settings.clone());
        }
        Ok(settings)
    }

    /// Validates and stores `settings`; this node obeys them at once, the
    /// others at their next refresh.
    pub async fn save(&self, settings: Settings) -> Result<Settings, DomainError> {
        settings.validate()?;
        let bytes = serde_json::to_vec(&settings)
            .map_err(|e| DomainError::invalid("settings", e.to_string()))?;
        self.store.put_meta(META_KEY, &bytes).await?;
        self.live.set(settings.clone());
        tracing::info!(?settings, "settings saved");
        Ok(settings)
    }
}
