//! The first factor of the console (an administrator's password) and of
//! the portal (the user's password or enrolment link): checked by the door,
//! decided here so that failures count towards the same lockout and land in
//! the same audit trail as every other sign-in.

use std::time::Instant;

use crate::model::error::DomainError;
use crate::model::reason::Reason;
use crate::model::user::is_principal;
use crate::signin::{Attempt, SignIn, Step};

const ADMIN_CODE_PROMPT: &str = "Enter the code from your authenticator app.";

impl SignIn {
    /// `password_ok` is the console's check of the password. A disabled or
    /// locked principal is refused whatever the password (so a locked
    /// account tells a guesser nothing); a wrong password counts a failure;
    /// a right one asks an administrator for the code (answered with
    /// [`SignIn::start`]) and starts a user's method (or lets a user with
    /// none, or one the directory knows and Countersign does not, through
    /// as `not_enrolled` when the door's rules allow it).
    pub async fn first_factor(
        &self,
        attempt: &Attempt,
        password_ok: bool,
    ) -> Result<Step, DomainError> {
        let started = Instant::now();
        // The console signs in administrators' principals, the portal users;
        // neither door sees the other's.
        let user = match attempt.administrator == is_principal(&attempt.username) {
            true => self.store.user_by_name(&attempt.username).await?,
            false => None,
        };
        let Some(user) = user else {
            // A password the directory accepted for someone Countersign
            // does not know (the LDAP proxy, RADIUS by LDAP): let through as
            // `not_enrolled` where the door's rules allow it; otherwise
            // refused like a wrong password, so the answer is no oracle
            // for directory passwords.
            if password_ok && !attempt.administrator && !attempt.rules.require_user_match {
                return self.start(attempt).await;
            }
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
            None if attempt.administrator => Ok(Step::otp_challenge(ADMIN_CODE_PROMPT)),
            // A user's second factor is the user's method, started now.
            None => self.start(attempt).await,
        }
    }
}
