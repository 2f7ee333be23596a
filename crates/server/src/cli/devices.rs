//! `countersign device activation|list|remove`.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use countersign_domain::ports::clock::rfc3339;
use serde_json::json;

use super::Output;
use crate::app::App;

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Make an activation code and QR for the Countersign authenticator.
    Activation {
        username: String,
    },
    List {
        username: String,
    },
    Remove {
        username: String,
        id: String,
    },
}

pub async fn device(app: &App, command: DeviceCommand, out: &Output) -> Result<ExitCode> {
    match command {
        DeviceCommand::Activation { username } => {
            let grant = app.push.create_activation(&username).await?;
            let url = app
                .config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}/", app.config.listen));
            let pin = crate::serve::served_pin(&app.config);
            let uri = countersign_web::activation_uri(&url, &grant.code, pin.as_deref());
            let app_url = countersign_web::app_url(&url, &grant.code);
            let app_qr_svg = countersign_otp::qr::svg(&app_url)
                .map_err(|e| anyhow::anyhow!("the QR code could not be drawn: {e}"))?;
            let value = json!({"activation_code": grant.grouped(), "url": url, "activation_uri": uri,
                "app_url": app_url, "app_qr_svg": app_qr_svg, "expires_at": rfc3339(grant.expires_at)});
            out.show(&value, || {
                let mut text = format!(
                    "activation code: {}\nURL:             {url}\nvalid until:     {}\nURI:             {uri}\nweb app:         {app_url}",
                    grant.grouped(),
                    rfc3339(grant.expires_at)
                );
                if std::io::stdout().is_terminal() {
                    if let Ok(qr) = countersign_otp::qr::ansi(&uri) {
                        text.push_str(&format!("\nScan with the Countersign authenticator:\n{qr}"));
                    }
                }
                text
            });
        }
        DeviceCommand::List { username } => {
            let devices = app.push.devices(&username).await?;
            out.show(&devices, || {
                let mut text = format!(
                    "{:<22} {:<24} {:<10} {:<5} {}",
                    "ID", "NAME", "PLATFORM", "PIN", "ACTIVATED"
                );
                for d in &devices {
                    text.push_str(&format!(
                        "\n{:<22} {:<24} {:<10} {:<5} {}",
                        d.id,
                        d.name,
                        d.platform,
                        if d.pin { "yes" } else { "no" },
                        rfc3339(d.created_at)
                    ));
                }
                text
            });
        }
        DeviceCommand::Remove { username, id } => {
            app.push.remove_device(&username, &id).await?;
            out.show(&json!({"removed": id}), || format!("device {id} removed"));
        }
    }
    Ok(ExitCode::SUCCESS)
}
