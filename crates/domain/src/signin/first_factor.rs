//! The console's first factor: an administrator's password, checked by the
//! console, decided here so that failures count towards the same lockout
//! and land in the same audit trail as every other sign-in.

use std::time::Instant;

use crate::error::DomainError;
use crate::reason::Reason;
use crate::signin::{Attempt, SignIn, Step};

const ADMIN_CODE_PROMPT: &str = "Enter the code from your authenticator app.";

impl SignIn {
    /// `password_ok` is the console's check of the password. A disabled or
    /// locked principal is refused whatever the password (so a locked
    /// account tells a guesser nothing); a wrong password counts a failure;
    /// a right one asks for the code, answered with [`SignIn::start`].
    pub async fn first_factor(
        &self,
        attempt: &Attempt,
        password_ok: bool,
    ) -> Result<Step, DomainError> {
        let started = Instant::now();
        let user = match attempt.administrator {
            true => self.store.user_by_name(&attempt.username).await?,
            false => None,
        };
        let Some(user) = user else {
            let reason = Reason::PasswordIncorrect;
            return self.refuse(attempt, None, None, reason, started).await;
        };
        let refusal = if !user.enabled {
            Some(Reason::UserDisabled)
        } else if user.is_locked(self.clock.now()) {
            Some(Reason::UserLockedOut)
        } else if !password_ok {
            Some(Reason::PasswordIncorrect)
        } else {
            None
        };
        match refusal {
            Some(reason) => {
                self.refuse(attempt, Some(&user), None, reason, started)
                    .await
            }
            None => Ok(Step::otp_challenge(ADMIN_CODE_PROMPT)),
        }
    }
}
