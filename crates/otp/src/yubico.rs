//! Yubico OTP: the 44 characters a YubiKey types, in modhex (`cbdefghijklnrtuv`
//! for 0-f, so any keyboard layout types them alike): the public id (12
//! characters) and one AES-128 block with the private id, the usage and
//! session counters, a timestamp, random bits and a CRC-16.

use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use subtle::ConstantTimeEq;

const MODHEX: &[u8; 16] = b"cbdefghijklnrtuv";

/// Modhex characters of the encrypted block.
pub const BLOCK_CHARS: usize = 32;
/// The length of an OTP with the usual 6-byte public id.
pub const OTP_CHARS: usize = 44;

/// What the block of an OTP holds, once decrypted and its CRC checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    pub private_id: [u8; 6],
    /// Usage counter (power-ups), 15 bits.
    pub usage: u16,
    /// Session counter (touches since power-up).
    pub session: u8,
    pub timestamp: u32,
}

impl Block {
    /// One number that grows with every OTP: usage, then session.
    pub fn counter(&self) -> i64 {
        (i64::from(self.usage) << 8) | i64::from(self.session)
    }
}

/// Decodes modhex (either case) into bytes; `None` if not modhex.
pub fn modhex_decode(text: &str) -> Option<Vec<u8>> {
    let lower = text.to_ascii_lowercase();
    if lower.len() & 1 != 0 {
        return None;
    }
    let value = |c: u8| MODHEX.iter().position(|m| *m == c).map(|p| p as u8);
    lower
        .as_bytes()
        .chunks(2)
        .map(|pair| Some(value(pair[0])? << 4 | value(pair[1])?))
        .collect()
}

pub fn modhex_encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|b| [MODHEX[usize::from(b >> 4)], MODHEX[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

/// Whether `code` ends like an OTP: at least a public id character and the
/// block, all modhex (what comes before may be a PIN).
pub fn ends_like_otp(code: &str) -> bool {
    let tail = code.len().saturating_sub(OTP_CHARS);
    code.len() >= BLOCK_CHARS + 2
        && code.is_char_boundary(tail)
        && code[tail..]
            .bytes()
            .all(|b| MODHEX.contains(&b.to_ascii_lowercase()))
}

/// Splits an OTP into its public id (modhex, lowercase) and block.
pub fn split(otp: &str) -> Option<(String, [u8; 16])> {
    if otp.len() < BLOCK_CHARS + 2 || otp.len() > BLOCK_CHARS + 32 || !otp.is_ascii() {
        return None;
    }
    let (public, block) = otp.split_at(otp.len() - BLOCK_CHARS);
    modhex_decode(public)?;
    let bytes: [u8; 16] = modhex_decode(block)?.try_into().ok()?;
    Some((public.to_ascii_lowercase(), bytes))
}

/// Decrypts an OTP's block with the AES key and checks its CRC; `None` if
/// it is not this key's (or was altered).
pub fn open(key: &[u8; 16], block: &[u8; 16]) -> Option<Block> {
    let cipher = aes::Aes128::new(key.into());
    let mut plain = aes::Block::clone_from_slice(block);
    cipher.decrypt_block(&mut plain);
    if crc16(&plain) != CRC_RESIDUE {
        return None;
    }
    let mut private_id = [0u8; 6];
    private_id.copy_from_slice(&plain[..6]);
    Some(Block {
        private_id,
        usage: u16::from_le_bytes([plain[6], plain[7]]) & 0x7fff,
        timestamp: u32::from_le_bytes([plain[8], plain[9], plain[10], 0]),
        session: plain[11],
    })
}

/// Compares private ids in constant time.
pub fn same_private_id(a: &[u8; 6], b: &[u8]) -> bool {
    b.len() == 6 && bool::from(a.ct_eq(b))
}

/// Makes an OTP, as a YubiKey does (for tests and tools).
pub fn make(public_id: &str, key: &[u8; 16], block: &Block, random: u16) -> String {
    let mut plain = [0u8; 16];
    plain[..6].copy_from_slice(&block.private_id);
    plain[6..8].copy_from_slice(&block.usage.to_le_bytes());
    plain[8..11].copy_from_slice(&block.timestamp.to_le_bytes()[..3]);
    plain[11] = block.session;
    plain[12..14].copy_from_slice(&random.to_le_bytes());
    let crc = !crc16(&plain[..14]);
    plain[14..].copy_from_slice(&crc.to_le_bytes());
    let cipher = aes::Aes128::new(key.into());
    let mut out = aes::Block::clone_from_slice(&plain);
    cipher.encrypt_block(&mut out);
    format!("{public_id}{}", modhex_encode(&out))
}

/// What CRC-16 (ISO 13239) gives over data followed by its own CRC.
const CRC_RESIDUE: u16 = 0xf0b8;

fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xffff;
    for byte in data {
        crc ^= u16::from(*byte);
        for _ in 0..8 {
            let low = crc & 1;
            crc >>= 1;
            if low != 0 {
                crc ^= 0x8408;
            }
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modhex_round_trips_and_refuses_other_letters() {
        assert_eq!(modhex_encode(&[0x00, 0x1f, 0xff]), "ccbvvv");
        assert_eq!(modhex_decode("ccbvVV"), Some(vec![0x00, 0x1f, 0xff]));
        assert_eq!(modhex_decode("ccbva"), None);
        assert_eq!(modhex_decode("ccbz"), None);
    }

    #[test]
    fn an_otp_opens_with_its_key_only() {
        let key = [7u8; 16];
        let block = Block {
            private_id: [1, 2, 3, 4, 5, 6],
            usage: 3,
            session: 9,
            timestamp: 0x00ab_cdef,
        };
        let otp = make("vvccccfhcbvd", &key, &block, 0x1234);
        assert_eq!(otp.len(), OTP_CHARS);
        assert!(ends_like_otp(&otp) && ends_like_otp(&format!("1234{otp}")));
        let (public, bytes) = split(&otp).expect("splits");
        assert_eq!(public, "vvccccfhcbvd");
        assert_eq!(open(&key, &bytes), Some(block));
        assert_eq!(open(&[8u8; 16], &bytes), None, "another key's CRC fails");
        assert_eq!(block.counter(), 3 << 8 | 9);
        assert!(!ends_like_otp("123456"));
        assert!(split("cccc").is_none());
    }
}
