//! The packet Code field (RFC 2865 section 3, RFC 2866, RFC 5997).

/// A RADIUS packet code. Codes without a variant of their own are kept in
/// [`Code::Other`]; [`Code::from`] never produces `Other` for a code that has
/// a named variant, so decoded packets compare equal after a round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    AccessRequest,
    AccessAccept,
    AccessReject,
    AccountingRequest,
    AccountingResponse,
    AccessChallenge,
    StatusServer,
    StatusClient,
    Other(u8),
}

impl Code {
    /// The RFC name of the code, as FreeRADIUS prints it
    /// (`Access-Request`, ...), or `None` for [`Code::Other`].
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Code::AccessRequest => "Access-Request",
            Code::AccessAccept => "Access-Accept",
            Code::AccessReject => "Access-Reject",
            Code::AccountingRequest => "Accounting-Request",
            Code::AccountingResponse => "Accounting-Response",
            Code::AccessChallenge => "Access-Challenge",
            Code::StatusServer => "Status-Server",
            Code::StatusClient => "Status-Client",
            Code::Other(_) => return None,
        })
    }
}

impl From<u8> for Code {
    fn from(value: u8) -> Self {
        match value {
            1 => Code::AccessRequest,
            2 => Code::AccessAccept,
            3 => Code::AccessReject,
            4 => Code::AccountingRequest,
            5 => Code::AccountingResponse,
            11 => Code::AccessChallenge,
            12 => Code::StatusServer,
            13 => Code::StatusClient,
            other => Code::Other(other),
        }
    }
}

impl From<Code> for u8 {
    fn from(code: Code) -> Self {
        match code {
            Code::AccessRequest => 1,
            Code::AccessAccept => 2,
            Code::AccessReject => 3,
            Code::AccountingRequest => 4,
            Code::AccountingResponse => 5,
            Code::AccessChallenge => 11,
            Code::StatusServer => 12,
            Code::StatusClient => 13,
            Code::Other(value) => value,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Code-{}", u8::from(*self)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn every_byte_round_trips() {
        for value in 0..=u8::MAX {
            assert_eq!(u8::from(Code::from(value)), value);
        }
    }

    #[test]
    fn known_codes_are_named() {
        assert_eq!(Code::from(1), Code::AccessRequest);
        assert_eq!(Code::from(11), Code::AccessChallenge);
        assert_eq!(Code::from(40), Code::Other(40));
        assert_eq!(Code::AccessAccept.to_string(), "Access-Accept");
        assert_eq!(Code::Other(40).to_string(), "Code-40");
    }
}
