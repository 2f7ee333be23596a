//! Remembered browsers in the engine: a browser door passes the cookie it
//! was shown ([`Attempt::remembered`]); after the user's own checks (and
//! the rules) the engine looks it up and, when it is this user's, has not
//! ended and the matching rule still gives `remember_device_days`, accepts
//! without a second factor as `remembered_device`, audited with the
//! browser's id. The door never decides.

use std::time::Instant;

use crate::model::error::DomainError;
use crate::model::reason::Reason;
use crate::model::user::User;
use crate::rules::{Evaluation, Outcome};
use crate::sessions::RememberedDevices;
use crate::signin::{Attempt, SignIn, Step};

impl SignIn {
    /// Adds remembered browsers: without them no cookie is ever honoured.
    pub fn with_remembered(mut self, devices: RememberedDevices) -> Self {
        self.remembered = Some(devices);
        self
    }

    /// Whether, and for how many days, a browser door may offer to
    /// remember the browser after a full sign-in by `attempt`: the
    /// matching rule's `remember_device_days`. `None` at the console and
    /// wherever no rule allows it.
    pub async fn remember_days(&self, attempt: &Attempt) -> Result<Option<u32>, DomainError> {
        if attempt.administrator || self.remembered.is_none() {
            return Ok(None);
        }
        let user = self.store.user_by_name(&attempt.username).await?;
        let (verdict, _) = self
            .verdict(attempt, user.as_ref(), self.clock.now())
            .await?;
        Ok(Self::days_of(attempt, &verdict))
    }

    /// The days `verdict` lets a browser be remembered for at this door.
    fn days_of(attempt: &Attempt, verdict: &Evaluation) -> Option<u32> {
        let door = crate::rules::door::door_of(attempt.source.client.as_deref());
        let browser = crate::rules::door::is_browser(&door) && door != "console";
        let allowed = verdict.outcome == Outcome::Allow && browser && !attempt.administrator;
        verdict.remember_device_days.filter(|d| *d > 0 && allowed)
    }

    /// The remembered browser's acceptance, when the attempt presents one
    /// that counts; `None` to go on to the second factor.
    pub(crate) async fn remembered_browser(
        &self,
        attempt: &Attempt,
        user: &User,
        verdict: &Evaluation,
        started: Instant,
    ) -> Result<Option<Step>, DomainError> {
        let (Some(devices), Some(token)) = (&self.remembered, &attempt.remembered) else {
            return Ok(None);
        };
        if Self::days_of(attempt, verdict).is_none() {
            return Ok(None);
        }
        let Some(device) = devices.recognise(&user.id, token).await? else {
            return Ok(None);
        };
        let why = (Reason::RememberedDevice, Some(device.id));
        let step = self
            .let_through_by(attempt, Some(user), why, started)
            .await?;
        Ok(Some(step))
    }
}
