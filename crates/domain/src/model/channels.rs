//! The delivery channels a server has configured. A method whose channel
//! is missing (SMS without a gateway, email without SMTP) is never chosen:
//! nothing would reach the user, yet they would be told a code was sent.

use crate::model::method::{Method, Methods};

/// Which channels can deliver. The default is every one (tests, and
/// servers that have not said).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channels {
    /// An SMS gateway (`[sms]`): `sms` and `sms_reply`.
    pub sms: bool,
    /// SMTP (`[smtp]`): `email`.
    pub email: bool,
    /// A voice provider (`[voice]`): `call`.
    pub voice: bool,
}

impl Default for Channels {
    fn default() -> Self {
        Self {
            sms: true,
            email: true,
            voice: true,
        }
    }
}

impl Channels {
    /// Whether `method` can reach the user on this server. Methods that
    /// need no channel of ours (otp, yubico, push) always can. A method
    /// that calls the user needs a voice provider.
    pub fn delivers(self, method: Method) -> bool {
        match method {
            Method::Sms | Method::SmsReply => self.sms,
            Method::Email => self.email,
            Method::Call => self.voice,
            Method::Otp | Method::Yubico | Method::Push => true,
        }
    }

    /// What the operator sets so that `method` can be delivered.
    pub fn fix(method: Method) -> &'static str {
        match method {
            Method::Sms | Method::SmsReply => {
                "configure an SMS gateway ([sms] gateway and url), or give the user another method"
            }
            Method::Email => "configure SMTP ([smtp] host), or give the user another method",
            Method::Call => {
                "configure a voice provider ([voice] provider and [voice.sip] trunk), or give the user another method"
            }
            Method::Otp | Method::Yubico | Method::Push => "nothing: no channel is needed",
        }
    }

    /// The methods of `methods` that can be delivered, in the same order.
    pub fn usable(self, methods: &Methods) -> Methods {
        methods.filtered(|m| self.delivers(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::method::Holdings;
    use crate::model::user::User;

    #[test]
    fn undeliverable_methods_are_left_out_in_order() {
        let mut user = User::blank("usr_1".into(), "alice@example.org".into(), 0);
        user.phone = Some("+441632960123".into());
        let methods = Methods::of(&user, Holdings::default());
        assert_eq!(
            methods.list(),
            &[Method::Sms, Method::SmsReply, Method::Email, Method::Call]
        );
        let no_sms = Channels {
            sms: false,
            email: true,
            voice: false,
        };
        assert_eq!(no_sms.usable(&methods).list(), &[Method::Email]);
        let voice_only = Channels {
            sms: false,
            email: false,
            voice: true,
        };
        assert_eq!(voice_only.usable(&methods).list(), &[Method::Call]);
        let none = Channels {
            sms: false,
            email: false,
            voice: false,
        };
        assert!(none.usable(&methods).is_empty());
        assert!(none.delivers(Method::Otp) && none.delivers(Method::Push));
    }
}
