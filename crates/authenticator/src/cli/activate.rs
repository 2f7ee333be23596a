//! `activate`: make a key pair, send the public half with the code, keep
//! the answer in the store.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use countersign_authenticator::activation::Activation;
use countersign_authenticator::api::{self, ActivateBody, Activated, ClientError, Http};
use countersign_authenticator::signing::DeviceKey;
use countersign_authenticator::store::{Store, STORE_VERSION};
use countersign_authenticator::tls::SpkiPin;
use countersign_authenticator::{trust_for, user_pin};
use serde_json::json;

use super::Output;

/// The options of `activate`.
pub struct How {
    pub uri: Option<String>,
    pub url: Option<String>,
    pub code: Option<String>,
    pub tls_pin: Option<String>,
    pub name: Option<String>,
    pub pin: Option<String>,
    pub force: bool,
}

pub async fn run(store_path: &Path, how: How, out: Output) -> anyhow::Result<ExitCode> {
    let activation = activation_of(&how)?;
    refuse_overwrite(store_path, how.force)?;
    let key = DeviceKey::generate()?;
    let device_name = how.name.clone().unwrap_or_else(default_device_name);
    let body = ActivateBody {
        code: activation.code.clone(),
        public_key: key.public_key_base64(),
        device_name: device_name.clone(),
        platform: std::env::consts::OS.to_owned(),
        pin_key: how.pin.as_deref().map(user_pin::pin_key_base64),
    };
    let http = Http::new(activation.url.clone(), &trust_for(activation.pin))?;
    let activated = api::activate(&http, &body)
        .await
        .map_err(|e| explain_refusal(e, how.pin.is_some()))
        .context(format!("activation at {} failed", activation.url))?;
    let store = Store {
        version: STORE_VERSION,
        server_url: activation.url.to_string(),
        tls_pin: activation.pin.map(|p| p.to_string()),
        device_id: activated.device_id.clone(),
        device_name,
        private_key_pkcs8: key.pkcs8_base64(),
        account_name: activated.account_name.clone(),
        user: activated.user.clone(),
        display_name: activated.display_name.clone().unwrap_or_default(),
        oath: activated.oath.clone(),
        number_matching: activated.number_matching,
        pin_required: activated.pin_required,
    };
    store.save(store_path).context(format!(
        "activated as device {} but could not keep it: ask an administrator to remove that device, then activate again with a writable --store",
        activated.device_id
    ))?;
    print(&activated, &store, store_path, out);
    Ok(ExitCode::SUCCESS)
}

/// The server asks for a PIN with a generic `invalid_request`: say what to do.
fn explain_refusal(error: ClientError, pin_given: bool) -> anyhow::Error {
    let asks_for_pin = matches!(&error, ClientError::Api { code, message, .. }
        if code == "invalid_request" && message.contains("PIN"));
    if asks_for_pin && !pin_given {
        return anyhow::Error::new(error).context(
            "this server asks each user for a PIN: run activate again with --pin PIN (you will give the PIN with each approval)",
        );
    }
    error.into()
}

fn activation_of(how: &How) -> anyhow::Result<Activation> {
    if let Some(uri) = &how.uri {
        return Ok(Activation::from_uri(uri)?);
    }
    let (Some(url), Some(code)) = (&how.url, &how.code) else {
        bail!("give the activation link, or both --url and --code");
    };
    let pin = how.tls_pin.as_deref().map(SpkiPin::parse).transpose()?;
    Ok(Activation::new(url, code, pin)?)
}

fn refuse_overwrite(store_path: &Path, force: bool) -> anyhow::Result<()> {
    if force || !store_path.exists() {
        return Ok(());
    }
    bail!(
        "{} already holds an activation; its key would be lost: use another --store FILE, or add --force to replace it",
        store_path.display()
    )
}

fn default_device_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty());
    match host {
        Some(host) => format!("countersign-authenticator on {host}"),
        None => "countersign-authenticator".to_owned(),
    }
}

fn print(activated: &Activated, store: &Store, store_path: &Path, out: Output) {
    if out.json {
        out.json_line(&json!({
            "device_id": activated.device_id,
            "account_name": activated.account_name,
            "user": activated.user,
            "display_name": activated.display_name,
            "server_url": store.server_url,
            "pinned": store.tls_pin.is_some(),
            "offline_codes": activated.oath.is_some(),
            "number_matching": activated.number_matching,
            "pin_required": activated.pin_required,
            "store": store_path.display().to_string(),
        }));
        return;
    }
    let who = match activated.display_name.as_deref() {
        Some(name) if !name.is_empty() => format!("{} ({name})", activated.user),
        _ => activated.user.clone(),
    };
    println!(
        "Activated: account \"{}\", user {who}, device {}",
        activated.account_name, activated.device_id
    );
    println!(
        "Server: {}{}",
        store.server_url,
        if store.tls_pin.is_some() {
            " (key pinned)"
        } else {
            ""
        }
    );
    println!(
        "Offline codes: {}",
        if activated.oath.is_some() {
            "yes (countersign-authenticator code)"
        } else {
            "no (turned off by the server's policy)"
        }
    );
    println!("Store: {}", store_path.display());
}
