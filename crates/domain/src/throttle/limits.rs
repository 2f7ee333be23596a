//! What the limits are: settings read at start (`[limits]` in the
//! configuration), the same for every door of one kind on this node.

/// A guessable door the limits guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Door {
    /// `POST /portal/login`.
    PortalSignIn,
    /// `POST /admin/login`.
    ConsoleSignIn,
    /// `/portal/link/{token}`: one-time sign-in links.
    SignInLink,
    /// `/device/v1` activation.
    Activation,
    /// `POST /api/v1/verify`, per API key.
    Verify,
    /// The portal's contact changes (a code sent to a new phone or address).
    ContactChange,
}

impl Door {
    pub const ALL: [Door; 6] = [
        Door::PortalSignIn,
        Door::ConsoleSignIn,
        Door::SignInLink,
        Door::Activation,
        Door::Verify,
        Door::ContactChange,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Door::PortalSignIn => "portal_signin",
            Door::ConsoleSignIn => "console_signin",
            Door::SignInLink => "signin_link",
            Door::Activation => "activation",
            Door::Verify => "verify",
            Door::ContactChange => "contact_change",
        }
    }

    /// What one try is, for the words a refused client reads.
    pub fn noun(self) -> &'static str {
        match self {
            Door::PortalSignIn | Door::ConsoleSignIn => "sign-in attempts",
            Door::SignInLink => "sign-in link attempts",
            Door::Activation => "activation attempts",
            Door::Verify => "verifications with this API key",
            Door::ContactChange => "contact changes",
        }
    }
}

/// Tries a minute per key and for the door as a whole; 0 turns one off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoorLimit {
    /// Per client address (per API key for `Verify`).
    pub per_key: u32,
    /// For the door on this node, whoever asks.
    pub global: u32,
}

/// What a lane is for, in metrics and in the words of a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Hash,
    Directory,
}

impl Lane {
    pub fn as_str(self) -> &'static str {
        match self {
            Lane::Hash => "hash",
            Lane::Directory => "directory",
        }
    }
}

/// A bounded pool: `workers` at once, `queue` more waiting; past that, busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneSize {
    pub workers: usize,
    pub queue: usize,
}

/// Every limit, with safe defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Password hashing (argon2id): at most one per core at once.
    pub hash: LaneSize,
    /// Binds to the directory (passwords checked by binding as the user).
    pub directory: LaneSize,
    pub signin: DoorLimit,
    pub links: DoorLimit,
    pub activation: DoorLimit,
    pub verify: DoorLimit,
    pub contact: DoorLimit,
    /// How long a try refused by a rate limit waits for its 429 (at most
    /// its Retry-After): a refused client cannot turn refusals into a
    /// flood of cheap answers. The wait is an async sleep and holds no
    /// worker; 0 answers at once. Not for a full pool: "busy" is at once.
    pub refusal_delay_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            hash: LaneSize {
                workers: cores(),
                queue: 16,
            },
            directory: LaneSize {
                workers: 16,
                queue: 32,
            },
            signin: DoorLimit {
                per_key: 10,
                global: 600,
            },
            links: DoorLimit {
                per_key: 10,
                global: 600,
            },
            activation: DoorLimit {
                per_key: 20,
                global: 600,
            },
            verify: DoorLimit {
                per_key: 60_000,
                global: 0,
            },
            contact: DoorLimit {
                per_key: 5,
                global: 120,
            },
            refusal_delay_ms: 1000,
        }
    }
}

impl Limits {
    pub fn of(&self, door: Door) -> DoorLimit {
        match door {
            Door::PortalSignIn | Door::ConsoleSignIn => self.signin,
            Door::SignInLink => self.links,
            Door::Activation => self.activation,
            Door::Verify => self.verify,
            Door::ContactChange => self.contact,
        }
    }
}

/// The cores this process may run on (1 when it cannot tell).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
