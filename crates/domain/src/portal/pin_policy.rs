//! The PIN a user sets in the portal: at least the policy's length, not a
//! trivial one (all one digit, a run up or down such as 1234 or 9876), and
//! none of their last five.

use super::Portal;
use crate::crypto::pin::{self, argon2id_matches};
use crate::model::error::DomainError;
use crate::model::user::User;

/// How many earlier PINs a new one may not repeat.
pub const PIN_HISTORY: usize = 5;

/// Checks length and triviality (not history, which needs the store).
pub fn check_pin_policy(pin_text: &str, min_length: u32) -> Result<(), DomainError> {
    pin::validate(pin_text)?;
    if pin_text.len() < min_length as usize {
        return Err(DomainError::invalid(
            "pin",
            format!("a PIN needs at least {min_length} digits"),
        ));
    }
    if is_trivial(pin_text) {
        return Err(DomainError::invalid(
            "pin",
            "that PIN is too easy to guess (the same digit, or digits in a row such as 1234); choose another",
        ));
    }
    Ok(())
}

fn is_trivial(pin_text: &str) -> bool {
    let digits: Vec<i8> = pin_text.bytes().map(|b| (b - b'0') as i8).collect();
    let steps: Vec<i8> = digits.windows(2).map(|w| w[1] - w[0]).collect();
    let same_step = |step: i8| {
        steps
            .iter()
            .all(|s| *s == step || *s == step - 10 * step.signum())
    };
    same_step(0) || same_step(1) || same_step(-1)
}

impl Portal {
    /// Sets the user's PIN under the policy; both fields must match.
    pub async fn set_pin(
        &self,
        user: &User,
        pin_text: &str,
        again: &str,
    ) -> Result<(), DomainError> {
        let min = self.settings.read(|s| s.pin_min_length);
        check_pin_policy(pin_text, min)?;
        if pin_text != again {
            return Err(DomainError::invalid(
                "pin_again",
                "the two PINs are not the same; type them again",
            ));
        }
        let mut account = self.account(&user.id).await?;
        let current = self.store.pin_hash(&user.id).await?;
        let earlier: Vec<String> = current
            .iter()
            .chain(account.pin_history.iter())
            .take(PIN_HISTORY)
            .cloned()
            .collect();
        // Up to six argon2id runs: on the work pool, off the async workers.
        let typed = pin_text.to_string();
        let hashed = self
            .pool
            .hash(
                move || match earlier.iter().any(|h| argon2id_matches(&typed, h)) {
                    true => Err(DomainError::invalid(
                        "pin",
                        format!("choose a PIN you have not used for your last {PIN_HISTORY} PINs"),
                    )),
                    false => pin::hash(&typed),
                },
            )
            .await??;
        if let Some(old) = current {
            account.pin_history.insert(0, old);
            account.pin_history.truncate(PIN_HISTORY);
        }
        account.updated_at = self.clock.now();
        self.store.set_pin(&user.id, Some(&hashed)).await?;
        self.store.put_portal_account(&account).await?;
        tracing::info!(user = %user.username, "PIN changed in the portal");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trivial_pins_are_refused() {
        for pin in ["1111", "1234", "4321", "7890", "0987", "890123", "000000"] {
            assert!(check_pin_policy(pin, 4).is_err(), "{pin} should be refused");
        }
        for pin in ["2468", "1357", "1204", "739184"] {
            assert!(check_pin_policy(pin, 4).is_ok(), "{pin} should pass");
        }
        assert!(check_pin_policy("2468", 6).is_err());
        assert!(check_pin_policy("12a4", 4).is_err());
    }
}
