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
    /// `password_ok` is the door's check of the password (which costs the
    /// same for unknown names). A wrong password is refused as such before
    /// a lock or a disabled account is revealed; a right one for a locked
    /// or disabled account is refused with that reason; a wrong password
    /// for an open account counts a failure;
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
        // The password first: a wrong one is told `password_incorrect`
        // whether or not the account is locked or disabled, so only the
        // account's owner learns its state. The audit keeps the exact
        // reason, and a locked or disabled account counts no failure.
        let state = if !user.enabled {
            Some(Reason::UserDisabled)
        } else if user.is_locked(self.clock.now()) {
            Some(Reason::UserLockedOut)
        } else {
            None
        };
        let refusal = match (password_ok, state) {
            (false, Some(audited)) => Some((audited, Reason::PasswordIncorrect)),
            (false, None) => Some((Reason::PasswordIncorrect, Reason::PasswordIncorrect)),
            (true, Some(reason)) => Some((reason, reason)),
            (true, None) => None,
        };
        match refusal {
            Some((audited, told)) => {
                self.refuse(attempt, Some(&user), None, audited, started)
                    .await?;
                Ok(Step::rejected(told))
            }
            None if attempt.administrator => Ok(Step::otp_challenge(ADMIN_CODE_PROMPT)),
            // A user's second factor is the user's method, started now.
            None => self.start(attempt).await,
        }
    }
}
