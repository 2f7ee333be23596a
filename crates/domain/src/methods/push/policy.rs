//! The rules of push approval, from the `[push]` configuration section.

#[derive(Debug, Clone)]
pub struct PushPolicy {
    /// The sign-in screen shows two digits the user must pick on the phone.
    pub number_matching: bool,
    /// The user proves a PIN on the device for every approval.
    pub pin_required: bool,
    pub per_minute: u32,
    pub per_hour: u32,
    pub timeout_seconds: i64,
    /// A fraud report disables the user.
    pub fraud_blocks_user: bool,
    pub device_limit: u32,
    pub activation_minutes: i64,
    /// Activation also hands the device a TOTP seed for offline codes.
    pub offline_codes: bool,
    /// The account name the authenticator shows.
    pub account_name: String,
}

impl Default for PushPolicy {
    fn default() -> Self {
        Self {
            number_matching: true,
            pin_required: false,
            per_minute: 3,
            per_hour: 10,
            timeout_seconds: 60,
            fraud_blocks_user: true,
            device_limit: 5,
            activation_minutes: 10,
            offline_codes: true,
            account_name: "Countersign".into(),
        }
    }
}
