//! Welcome and updated-user emails, by the rule of seed 001: a user who is
//! enabled, has a usable method (phone, activated device or OATH token),
//! has an email address (or a username that is one), and for whom sending
//! is on. Authenticator users without a device get an activation code,
//! URL and QR.

use crate::model::welcome::WelcomeRows;

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

use crate::methods::outbox::Outbox;
use crate::methods::push::activation::activation_uri;
use crate::methods::push::Push;
use crate::model::error::DomainError;
use crate::model::messages::{MessageContent, MessageKind};
use crate::model::portal::EnrolmentLinkRow;
use crate::model::push::Activation;
use crate::model::user::User;
use crate::ports::Composer;
use crate::ports::WelcomePorts;

#[derive(Debug, Clone, Default)]
pub struct WelcomePolicy {
    /// Sending is on (each user may override it).
    pub enabled: bool,
    /// Files attached to every welcome email.
    pub attachments: Vec<String>,
    /// Where devices reach the server, for activation links.
    pub service_url: String,
    /// The TLS key pin for the activation QR, when serving TLS.
    pub pin: Option<String>,
    pub account_name: String,
}

/// How `compose` gets the live activation and portal link.
enum Making<'a> {
    /// Examples stand in (a preview, a test email).
    Example,
    /// Made and stored now.
    Now,
    /// Made and collected, stored later with the message.
    Collect(&'a mut Made),
}

#[derive(Default)]
struct Made {
    activation: Option<Activation>,
    link: Option<EnrolmentLinkRow>,
}

#[derive(Clone)]
pub struct Welcome {
    store: Arc<dyn WelcomePorts>,
    outbox: Outbox,
    composer: Arc<dyn Composer>,
    push: Push,
    policy: WelcomePolicy,
    /// Makes the one-time portal link the email carries.
    portal: Option<crate::portal::Portal>,
}

impl Welcome {
    pub fn new(
        store: Arc<dyn WelcomePorts>,
        outbox: Outbox,
        composer: Arc<dyn Composer>,
        push: Push,
        policy: WelcomePolicy,
    ) -> Self {
        Self {
            store,
            outbox,
            composer,
            push,
            policy,
            portal: None,
        }
    }

    /// Welcome emails carry a one-time link to the user portal.
    pub fn with_portal(mut self, portal: crate::portal::Portal) -> Self {
        self.portal = Some(portal);
        self
    }

    /// Queues the email if the rule says so; returns the message id.
    pub async fn consider(&self, username: &str) -> Result<Option<String>, DomainError> {
        let Some(user) = self.store.user_by_name(username).await? else {
            return Ok(None);
        };
        let Ok((address, devices, tokens)) = self.eligible(&user, None).await? else {
            return Ok(None);
        };
        let content = self.compose(&user, devices, tokens, Making::Now).await?;
        let id = self
            .outbox
            .enqueue(MessageKind::Email, "welcome", &address, &content)
            .await?;
        self.store
            .mark_welcomed(&user.id, self.push.clock().now())
            .await?;
        Ok(Some(id))
    }

    /// What `consider` would write for `username`, made but not stored, so
    /// that many users' welcomes can be committed together ([`Welcome::commit`]);
    /// `None` when the rule sends nothing.
    /// `fresh`: the user was created just now (by the sync), so has no
    /// device yet and that read is skipped.
    pub async fn prepare(
        &self,
        username: &str,
        fresh: bool,
    ) -> Result<Option<WelcomeRows>, DomainError> {
        // One read for the user and their tokens (the store's fast path).
        let Some((user, tokens)) = self.store.user_with_tokens(username).await? else {
            return Ok(None);
        };
        let devices = match fresh {
            true => 0,
            false => self.store.devices_of_user(&user.id).await?.len(),
        };
        let counts = Some((devices, tokens.len()));
        let Ok((address, devices, tokens)) = self.eligible(&user, counts).await? else {
            return Ok(None);
        };
        let mut made = Made::default();
        let content = self
            .compose(&user, devices, tokens, Making::Collect(&mut made))
            .await?;
        let message = self
            .outbox
            .seal(MessageKind::Email, "welcome", &address, &content)?;
        Ok(Some(WelcomeRows {
            user_id: user.id,
            welcomed_at: self.push.clock().now(),
            activation: made.activation,
            link: made.link,
            message,
        }))
    }

    /// Stores prepared welcomes in one transaction: all of them or none.
    pub async fn commit(&self, rows: &[WelcomeRows]) -> Result<(), DomainError> {
        self.store.insert_welcomes(rows).await?;
        for row in rows {
            self.outbox.queued(&row.message);
        }
        Ok(())
    }

    /// The address, device and token counts when the rule lets the email
    /// go to `user`, else why not (in words for the console).
    /// `counts`: the user's devices and tokens when the caller has them.
    async fn eligible(
        &self,
        user: &User,
        counts: Option<(usize, usize)>,
    ) -> Result<Result<(String, usize, usize), &'static str>, DomainError> {
        if !user.enabled {
            return Ok(Err("the user is disabled"));
        }
        if !user.welcome_email.unwrap_or(self.policy.enabled) {
            return Ok(Err(
                "welcome emails are off (email.welcome, or this user's own setting)",
            ));
        }
        let Some(address) = user
            .email
            .clone()
            .or_else(|| user.username.contains('@').then(|| user.username.clone()))
        else {
            return Ok(Err("the user has no email address"));
        };
        let (devices, tokens) = match counts {
            Some(counts) => counts,
            None => (
                self.store.devices_of_user(&user.id).await?.len(),
                self.store.tokens_of_user(&user.id).await?.len(),
            ),
        };
        if devices == 0 && tokens == 0 && user.phone.is_none() {
            return Ok(Err("the user has no method yet (token, device or phone)"));
        }
        Ok(Ok((address, devices, tokens)))
    }

    /// The email the user would get now, without sending it and without
    /// making an activation code (an example stands in for it), and whether
    /// the rule would send it at all.
    pub async fn preview(
        &self,
        username: &str,
    ) -> Result<(MessageContent, Result<String, &'static str>), DomainError> {
        let user = self
            .store
            .user_by_name(username)
            .await?
            .ok_or_else(|| DomainError::not_found("user", username))?;
        let devices = self.store.devices_of_user(&user.id).await?.len();
        let tokens = self.store.tokens_of_user(&user.id).await?.len();
        let content = self
            .compose(&user, devices, tokens, Making::Example)
            .await?;
        let verdict = self
            .eligible(&user, None)
            .await?
            .map(|(address, _, _)| address);
        Ok((content, verdict))
    }

    /// Sends the welcome email as a new user with a token would get it (an
    /// example activation code, nobody's real account) to `to`, so an
    /// administrator sees what users see. Queued with purpose `test`.
    pub async fn send_test(&self, to: &str) -> Result<String, DomainError> {
        crate::model::user::validate_email(to)?;
        let now = self.push.clock().now();
        let sample = User {
            display_name: Some("Test User".into()),
            email: Some(to.to_string()),
            welcome_email: Some(true),
            ..User::blank("usr_example".into(), "test.user".into(), now)
        };
        let content = self.compose(&sample, 0, 1, Making::Example).await?;
        self.outbox
            .enqueue(MessageKind::Email, "test", to, &content)
            .await
    }

    /// With `Making::Example` (a preview) an example code and link stand in
    /// for the live ones; otherwise a live activation (for a user without a
    /// device) and portal link are made, stored now or collected.
    async fn compose(
        &self,
        user: &User,
        devices: usize,
        tokens: usize,
        mut making: Making<'_>,
    ) -> Result<MessageContent, DomainError> {
        let real = !matches!(making, Making::Example);
        let mut context = json!({
            "user": user.username,
            "display_name": user.display_name,
            "first": user.welcomed_at.is_none(),
            "devices": devices,
            "tokens": tokens,
            "phone_masked": user.phone.as_deref().map(crate::model::messages::mask_phone),
            "account_name": self.push.live_settings().account_name,
            "has_qr": false,
        });
        let mut inline_png = None;
        if devices == 0 && !real {
            context["activation_code"] = json!(
                "1234 5678 9012 3456 (an example: the real code is made when the email is sent)"
            );
            context["activation_url"] = json!(crate::methods::push::activation::app_url(
                &self.policy.service_url,
                "…"
            ));
        } else if devices == 0 {
            let grant = match &mut making {
                Making::Collect(rows) => {
                    let (activation, grant) = self.push.new_activation(user);
                    rows.activation = Some(activation);
                    grant
                }
                _ => self.push.create_activation(&user.username).await?,
            };
            let uri = activation_uri(
                &self.policy.service_url,
                &grant.code,
                self.policy.pin.as_deref(),
            );
            let png = countersign_otp::qr::png(&uri, 6)
                .map_err(|e| DomainError::invalid("qr", e.to_string()))?;
            inline_png = Some(STANDARD.encode(png));
            context["activation_code"] = json!(grant.grouped());
            // The web app's link: opened on the phone, it installs and activates the app.
            context["activation_url"] = json!(crate::methods::push::activation::app_url(
                &self.policy.service_url,
                &grant.code
            ));
            context["has_qr"] = json!(true);
        }
        if let Some(portal) = &self.portal {
            let url = match &mut making {
                Making::Example => portal.link_url("…"),
                Making::Now => portal.create_link(user, "welcome").await?.0,
                Making::Collect(rows) => {
                    let (row, url) = portal.new_link(user, "welcome");
                    rows.link = Some(row);
                    url
                }
            };
            let days = portal.policy().link_seconds / 86_400;
            context["portal_url"] = json!(url);
            context["portal_days"] = json!(days);
        }
        let render = |name: &str| {
            self.composer
                .render(name, user.language.as_deref(), &context)
                .map_err(|e| DomainError::invalid("template", e))
        };
        Ok(MessageContent {
            subject: Some(render("welcome.subject")?.trim().to_string()),
            text: render("welcome.txt")?,
            html: Some(render("welcome.html")?),
            attachments: self.policy.attachments.clone(),
            inline_png,
        })
    }
}
