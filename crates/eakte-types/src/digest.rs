//! Content digests: the blake3 blob id that addresses stored bytes, and the SHA-256 kept beside it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a hex string is not a valid digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestParseError {
    /// The string does not have 64 characters.
    #[error("a digest has 64 hex characters, this one has {0}")]
    Length(usize),
    /// The string has a character outside `0-9a-fA-F`.
    #[error("a digest has only the hex characters 0-9 and a-f")]
    NotHex,
}

fn parse_hex32(s: &str) -> Result<[u8; 32], DigestParseError> {
    if s.len() != 64 {
        return Err(DigestParseError::Length(s.chars().count()));
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).map_err(|_| DigestParseError::NotHex)?;
    Ok(out)
}

macro_rules! digest_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; 32]);

        impl $name {
            /// Wraps 32 digest bytes.
            pub const fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }

            /// The 32 digest bytes.
            pub const fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// Lowercase hex, 64 characters.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        impl FromStr for $name {
            type Err = DigestParseError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_hex32(s).map(Self)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

digest_type!(
    /// The address of stored bytes: the blake3 hash of the original, uncompressed bytes.
    BlobId
);

digest_type!(
    /// The SHA-256 of the original bytes, kept beside the blob id because xdomea 4.0 and
    /// BSI TR-02102 name SHA-2 for exchanged and archived documents.
    Sha256Digest
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let id = BlobId::from_bytes([0xab; 32]);
        let text = id.to_string();
        assert_eq!(text.len(), 64);
        assert_eq!(text.parse::<BlobId>(), Ok(id));
        assert_eq!(text.to_uppercase().parse::<BlobId>(), Ok(id));
    }

    #[test]
    fn rejects_bad_hex() {
        assert_eq!("abc".parse::<BlobId>(), Err(DigestParseError::Length(3)));
        let not_hex = "g".repeat(64);
        assert_eq!(not_hex.parse::<BlobId>(), Err(DigestParseError::NotHex));
        // A multi-byte character must not be mistaken for two hex digits.
        let wide = format!("{}ä", "0".repeat(62));
        assert!(wide.parse::<BlobId>().is_err());
    }
}
