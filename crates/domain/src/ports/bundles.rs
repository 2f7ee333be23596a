//! The ports each service uses, named once. A service holds one of these
//! (or a single port) instead of the whole [`Store`](super::Store), so what
//! it can touch is written in its type. Each bundle is implemented for every
//! type that has its ports, and is a supertrait of `Store`: the composition
//! root's `Arc<dyn Store>` converts to any of them.

use super::{
    AdminStore, AuditStore, CodeStore, DecisionStore, DirectoryStore, GroupStore, MetaStore,
    OidcStore, PasskeyStore, PortalStore, PushStore, RememberedStore, SendStore, SessionStore,
    TokenStore, UserStore, WebPushStore, WelcomeStore,
};

macro_rules! bundle {
    ($(#[$doc:meta])* $name:ident: $($port:ident),+) => {
        $(#[$doc])*
        pub trait $name: $($port+)* Send + Sync {}
        impl<T: $($port+)* Send + Sync + ?Sized> $name for T {}
    };
}

bundle!(
    /// `Accounts`: users and their tokens.
    AccountsPorts: UserStore, TokenStore
);
bundle!(
    /// The OATH `Verifier`: the user, their tokens and the one decision write.
    VerifierPorts: UserStore, TokenStore, DecisionStore
);
bundle!(
    /// The sign-in engine: what the verifier uses, plus push transactions,
    /// the audit trail, users' groups (the rules) and remembered browsers.
    SignInPorts: UserStore, TokenStore, DecisionStore, PushStore, AuditStore, GroupStore,
        RememberedStore
);
bundle!(
    /// `Codes` (SMS, email, two-way SMS): challenges, the users they go to
    /// and the log of sends behind the send limits.
    CodesPorts: CodeStore, UserStore, SendStore
);
bundle!(
    /// `Push`: devices, activations and transactions, their users, and
    /// the devices' Web Push subscriptions (shown with the devices).
    PushPorts: PushStore, UserStore, WebPushStore
);
bundle!(
    /// `WebPush`: subscriptions, the devices they belong to and the VAPID key.
    WebPushPorts: WebPushStore, PushStore, MetaStore
);
bundle!(
    /// `DirectorySync`: users, their directory links, the directory's
    /// groups and the last run's report.
    DirectorySyncPorts: DirectoryStore, UserStore, MetaStore, GroupStore
);
bundle!(
    /// `Groups`: groups, their members and the users they name.
    GroupsPorts: GroupStore, UserStore
);
bundle!(
    /// `Welcome`: the rows of a welcome email and what decides who gets one.
    WelcomePorts: WelcomeStore, UserStore, TokenStore, PushStore
);
bundle!(
    /// Browser sessions: the sessions, whose they are (administrators,
    /// users), the audit of administrators' actions and users' remembered
    /// browsers.
    SessionsPorts: SessionStore, AdminStore, UserStore, AuditStore, RememberedStore
);
bundle!(
    /// The portal's rules: its links and passwords, the user's PIN, tokens'
    /// labels and devices' names, and the log of sends (contact codes).
    PortalPorts: PortalStore, UserStore, TokenStore, PushStore, SendStore
);
bundle!(
    /// `Passkeys`: the credentials and challenges, the users they belong to
    /// and what else they hold (the last method cannot be removed).
    PasskeysPorts: PasskeyStore, UserStore, TokenStore, PushStore
);
bundle!(
    /// The OpenID Provider: grants and tokens, the users they are for, and
    /// the audit record of every token issued or refused.
    OidcPorts: OidcStore, UserStore, AuditStore, GroupStore, DecisionStore
);
