//! Giving the harness's users what a method needs, through the real
//! services: tokens (`Accounts`), a YubiKey, an activated device (`Push`).

use std::sync::atomic::{AtomicU8, Ordering};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use countersign_domain::methods::push::activation::DeviceRegistration;
use countersign_domain::model::push::Device;
use countersign_domain::model::user::{NewUser, User};
use countersign_domain::TokenSpec;
use countersign_otp::yubico::{self, Block};
use countersign_otp::{base32, Algorithm, Kind};

use super::EngineHarness;

/// A TOTP token and its seed, so the test can type its codes.
#[derive(Debug, Clone)]
pub struct TotpToken {
    pub id: String,
    pub secret: Vec<u8>,
}

/// A YubiKey in Yubico OTP mode: each [`YubiKey::touch`] types a new OTP.
#[derive(Debug)]
pub struct YubiKey {
    pub id: String,
    public_id: String,
    key: [u8; 16],
    private_id: [u8; 6],
    session: AtomicU8,
}

impl YubiKey {
    fn new() -> Self {
        Self {
            id: String::new(),
            public_id: yubico::modhex_encode(&[0x0c, 0x51, 0x7e, 0x25, 0x01, 0x02]),
            key: *b"engine-test-key!",
            private_id: *b"privid",
            session: AtomicU8::new(0),
        }
    }

    /// The next OTP, as the key types it when touched.
    pub fn touch(&self) -> String {
        let session = self.session.fetch_add(1, Ordering::SeqCst);
        let block = Block {
            private_id: self.private_id,
            usage: 1,
            session,
            timestamp: u32::from(session) * 8,
        };
        yubico::make(&self.public_id, &self.key, &block, 0x5eed)
    }

    fn key_hex(&self) -> String {
        self.key.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl EngineHarness {
    /// A new enabled user with nothing but a name.
    pub async fn user(&self, username: &str) -> User {
        self.user_with(NewUser {
            username: username.to_string(),
            ..NewUser::default()
        })
        .await
    }

    pub async fn user_with(&self, new: NewUser) -> User {
        self.accounts.create_user(new).await.expect("create_user")
    }

    /// A user with a phone number, for texted codes.
    pub async fn user_with_phone(&self, username: &str, phone: &str) -> User {
        self.user_with(NewUser {
            username: username.to_string(),
            phone: Some(phone.to_string()),
            ..NewUser::default()
        })
        .await
    }

    /// Adds a TOTP token (SHA-1, 6 digits, 30 s) with a generated seed.
    pub async fn totp(&self, username: &str) -> TotpToken {
        let (token, enrolment) = self
            .accounts
            .add_token(username, TokenSpec::default())
            .await
            .expect("add_token");
        let enrolment = enrolment.expect("a generated seed is shown once");
        TotpToken {
            id: token.id,
            secret: base32::decode(&enrolment.secret).expect("base32 seed"),
        }
    }

    /// The token's code at the harness's clock.
    pub fn code_now(&self, token: &TotpToken) -> String {
        countersign_otp::totp(&token.secret, self.now() as u64, 30, 6, Algorithm::Sha1)
    }

    /// A well-formed code the token does not show anywhere near now.
    pub fn wrong_code(&self, token: &TotpToken) -> String {
        let near: Vec<String> = (-3..=3)
            .map(|step| (self.now() + step * 30) as u64)
            .map(|at| countersign_otp::totp(&token.secret, at, 30, 6, Algorithm::Sha1))
            .collect();
        (0..)
            .map(|n: u32| format!("{:06}", 123_456 + n))
            .find(|code| !near.contains(code))
            .expect("a code outside the window")
    }

    /// Enrols a YubiKey by its AES key and a first OTP (used up by enrolment).
    pub async fn yubikey(&self, username: &str) -> YubiKey {
        let mut yubikey = YubiKey::new();
        let spec = TokenSpec {
            kind: Some(Kind::Yubico),
            secret: Some(yubikey.key_hex()),
            code: Some(yubikey.touch()),
            ..TokenSpec::default()
        };
        let (token, _) = self
            .accounts
            .add_token(username, spec)
            .await
            .expect("add a YubiKey");
        yubikey.id = token.id;
        yubikey
    }

    /// Activates an authenticator for the user, as the app does with the
    /// code an administrator hands out.
    pub async fn device(&self, username: &str) -> Device {
        let grant = self
            .push
            .create_activation(username)
            .await
            .expect("create_activation");
        let mut public_key = [7u8; 65];
        public_key[0] = 4;
        let registration = DeviceRegistration {
            code: grant.code,
            public_key: STANDARD.encode(public_key),
            device_name: "test phone".into(),
            platform: "test".into(),
            pin_key: None,
        };
        let activated = self.push.activate(registration).await.expect("activate");
        self.store
            .device(&activated.device_id)
            .await
            .expect("read the device")
            .expect("the device was stored")
    }

    /// The hidden user `admin/NAME` that carries an administrator's second
    /// factor, with a TOTP enrolled.
    pub async fn administrator(&self, admin_name: &str) -> TotpToken {
        let enrolment = self
            .accounts
            .enrol_principal(admin_name)
            .await
            .expect("enrol_principal");
        let principal = self
            .accounts
            .principal(admin_name)
            .await
            .expect("principal");
        let tokens = self
            .store
            .tokens_of_user(&principal.id)
            .await
            .expect("tokens_of_user");
        TotpToken {
            id: tokens[0].id.clone(),
            secret: base32::decode(&enrolment.secret).expect("base32 seed"),
        }
    }
}
